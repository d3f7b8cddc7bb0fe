"""The ExCo pre-read: a number of working days before each monthly ExCo, every member gets an
e-mail with the month's pack attached, a short summary, what changed since the last pack, and a
link to the page.

How a pre-read goes out (an hourly beat job, ``scoreboard.tasks.send_prereads``):

1. ``prereads_due`` works out from the admin's ``ExcoSchedule`` whether today is on or after the
   pre-read day of the next meeting. If so it prepares that meeting's ``PreRead`` once (the
   pack printed, the summary's lines read from the ExCo page's own data) and a
   ``PreReadDelivery`` row per member who has it on: one per member and month, so running again
   adds nothing. It returns the deliveries owed now.
2. ``preread_deliver`` sends one: it claims the row (pending to sending) in a transaction of its
   own, sends, and records the outcome. A mail-server failure puts the row back to pending with
   a time for the next try (5, 10, 20... minutes), up to ``MAX_ATTEMPTS``; then it is failed, with
   the server's words, for an admin to see and send again.
3. A row left "sending" by a worker that died mid-send may or may not have reached the member,
   so it is never sent again by itself: after ``LOST_AFTER`` it is marked failed, saying so, and
   an admin who has checked sends it again. That is the price of "never sent twice".

Working days are Monday to Friday; public holidays are not known here.
"""

from __future__ import annotations

import calendar
import hashlib
import logging
import smtplib
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from .. import formatting, links
from ..models import (
    PREREAD_DAYS_MAX,
    SCHEDULE_WORDS,
    DeliveryStatus,
    ExcoSchedule,
    MeetingWeek,
    PreRead,
    PreReadDelivery,
    PreReadFormat,
    PreReadSubscription,
    Restatement,
    Role,
    User,
    Weekday,
)
from ..months import first_of_month, next_month, previous_month, start_of_month
from ..templatetags.scoreboard import figure, thresholds_in_words
from . import dashboard
from .pack import month_pack

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_FIRST = timedelta(minutes=5)
LOST_AFTER = timedelta(minutes=30)
ERROR_CHARS = 500
ONLY_ADMINS = "Only an admin sets the ExCo's meeting schedule."
ONLY_MEMBERS = "Only a member of the ExCo (an executive) has pre-read settings."
LOST = (
    "Interrupted while sending: the mail server may or may not have accepted it. Ask the member whether it "
    "arrived before sending it again."
)


# --- When ----------------------------------------------------------------------------------------


def meeting_day(month: date, schedule: ExcoSchedule) -> date:
    """The day of ``month`` the ExCo meets: its first, second... or last such weekday."""
    days = [
        d for d in range(1, calendar.monthrange(month.year, month.month)[1] + 1)
        if date(month.year, month.month, d).weekday() == schedule.weekday
    ]  # fmt: skip
    chosen = days[-1] if schedule.week == MeetingWeek.LAST else days[schedule.week - 1]
    return date(month.year, month.month, chosen)


def preread_day(meeting: date, working_days: int) -> date:
    """``working_days`` working days before the meeting, but never before the meeting's month
    begins: the month the ExCo reviews (the one before) must have ended."""
    day, left = meeting, working_days
    while left:
        day -= timedelta(days=1)
        if day.weekday() <= Weekday.FRIDAY:
            left -= 1
    return max(day, first_of_month(meeting))


def next_meeting(today: date, schedule: ExcoSchedule) -> date:
    """The next meeting on or after ``today``."""
    this_month = meeting_day(first_of_month(today), schedule)
    return this_month if this_month >= today else meeting_day(next_month(first_of_month(today)), schedule)


def due(now: datetime, schedule: ExcoSchedule) -> tuple[date, date] | None:
    """(the month reviewed, the meeting day) when the next meeting's pre-read is due now."""
    local = timezone.localtime(now)
    meeting = next_meeting(local.date(), schedule)
    send_on = preread_day(meeting, schedule.preread_working_days)
    if local.date() < send_on or (local.date() == send_on and local.hour < schedule.send_hour):
        return None
    return previous_month(first_of_month(meeting)), meeting


# --- The beat job ---------------------------------------------------------------------------------


def prereads_due(*, now: datetime | None = None) -> list[int]:
    """Prepare the pre-read that is due, if any, and return the ids of the deliveries owed now:
    new ones, and those waiting for their next try. Safe to run as often as one likes."""
    now = now or timezone.now()
    _mark_lost(now)
    schedule = ExcoSchedule.objects.first()
    when = due(now, schedule) if schedule else None
    if when is not None:
        preread = preread_prepare(month=when[0], meeting=when[1], now=now)
        _deliveries_open(preread, now)
    return list(
        PreReadDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def preread_prepare(*, month: date, meeting: date, now: datetime) -> PreRead:
    """The month's pre-read, made once: its pack printed (a frozen month's kept pack) and its
    summary read. Two workers at once both print; the first to store it wins."""
    found = PreRead.objects.filter(month=month).first()
    if found is not None:
        return found
    pdf = month_pack(month)
    since = PreRead.objects.filter(month__lt=month).order_by("-month").first()
    preread = PreRead(
        month=month,
        meeting_on=meeting,
        pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
        summary=summary(month, since=since, now=now),
        prepared_at=now,
    )
    try:
        with transaction.atomic():
            preread.save()
    except IntegrityError:
        return PreRead.objects.get(month=month)
    return preread


def members():
    """The ExCo: every active executive."""
    return User.objects.filter(is_active=True, groups__name=Role.EXECUTIVE).order_by("pk").distinct()


def _deliveries_open(preread: PreRead, now: datetime) -> None:
    """A delivery row for each member who has the pre-read on; a member with no address is
    recorded as not sent (and picked up again once they have one)."""
    choices = {s.member_id: s for s in PreReadSubscription.objects.all()}
    rows = []
    for member in members():
        choice = choices.get(member.pk)
        if choice is not None and not choice.enabled:
            continue
        rows.append(
            PreReadDelivery(
                preread=preread,
                recipient=member,
                address=member.email,
                format=choice.format if choice else PreReadFormat.HTML,
                status=DeliveryStatus.PENDING if member.email else DeliveryStatus.SKIPPED,
                last_error="" if member.email else "No e-mail address: add one to the person in the admin.",
                next_attempt_at=now,
                created_at=now,
            )
        )
    PreReadDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    for delivery in PreReadDelivery.objects.filter(preread=preread, status=DeliveryStatus.SKIPPED, address=""):
        if delivery.recipient.email:  # given an address since: owed after all
            PreReadDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SKIPPED).update(
                status=DeliveryStatus.PENDING, address=delivery.recipient.email, last_error="", next_attempt_at=now
            )


def _mark_lost(now: datetime) -> None:
    PreReadDelivery.objects.filter(status=DeliveryStatus.SENDING, last_attempt_at__lt=now - LOST_AFTER).update(
        status=DeliveryStatus.FAILED, last_error=LOST
    )


# --- Sending one ----------------------------------------------------------------------------------


def preread_deliver(delivery_id: int, *, now: datetime | None = None) -> timedelta | None:
    """Send one member's pre-read, if it is still owed. Returns how long to wait before the next
    try when the mail server failed and tries are left; None otherwise."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            PreReadDelivery.objects.select_for_update()
            .select_related("preread", "recipient")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
            .first()
        )
        if delivery is None:
            return None  # sent, being sent, failed or skipped: nothing owed
        delivery.status = DeliveryStatus.SENDING
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.save(update_fields=["status", "attempts", "last_attempt_at"])
    try:
        message(delivery).send()
    except (smtplib.SMTPException, OSError) as error:
        return _failed(delivery, error, now)
    sent = PreReadDelivery.objects.filter(pk=delivery.pk)
    sent.update(status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error="")
    return None


def _failed(delivery: PreReadDelivery, error: Exception, now: datetime) -> timedelta | None:
    words = f"{type(error).__name__}: {error}"[:ERROR_CHARS]
    logger.warning("%s to %s not sent (try %s): %s", delivery.preread, delivery.address, delivery.attempts, words)
    if delivery.attempts >= MAX_ATTEMPTS:
        PreReadDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED, last_error=words)
        return None
    wait = RETRY_FIRST * 2 ** (delivery.attempts - 1)
    PreReadDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, last_error=words, next_attempt_at=now + wait
    )
    return wait


def message(delivery: PreReadDelivery) -> EmailMultiAlternatives:
    """The e-mail: the summary as text (and as HTML unless the member chose plain text), the
    pack attached."""
    preread = delivery.preread
    context = {
        "member": delivery.recipient,
        "preread": preread,
        "month": formatting.month(preread.month),
        "meeting": _meeting_words(preread.meeting_on),
        "sections": preread.summary.get("sections", []),
        "changes": preread.summary.get("changes", []),
        "since": preread.summary.get("since", ""),
        "page": links.absolute_url("exco-month", preread.month),
        "settings_page": links.absolute_url("preread-settings"),
    }
    mail = EmailMultiAlternatives(
        subject=f"ExCo pre-read: {context['month']}, for the meeting on {context['meeting']}",
        body=render_to_string("scoreboard/email/preread.txt", context),
        to=[delivery.address],
        headers={"Message-ID": f"<preread-{preread.month:%Y-%m}-{delivery.recipient_id}@{_domain()}>"},
    )
    if delivery.format == PreReadFormat.HTML:
        mail.attach_alternative(render_to_string("scoreboard/email/preread.html", context), "text/html")
    mail.attach(f"exco-pack-{preread.month:%Y-%m}.pdf", bytes(preread.pdf), "application/pdf")
    return mail


def _domain() -> str:
    # The same Message-ID on any resend: a mail client that already has it may show it once.
    return settings.SITE_URL.split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "scoreboard.local"


def _meeting_words(day: date) -> str:
    return f"{calendar.day_name[day.weekday()]} {formatting.day(day)}"


# --- What it says ---------------------------------------------------------------------------------


def summary(month: date, *, since: PreRead | None, now: datetime) -> dict:
    """The summary's sections and the changes since the last pack, as lines, read from what the
    ExCo page shows: the month's dashboard, and the one of the last pack's month."""
    page = dashboard.exco_dashboard(month, now=now)
    attention = page["attention"]
    sections = [
        {
            "title": f"Shared outcomes off target: {len(attention['off_target'])} of {attention['shared']}",
            "lines": [_tile_line(t) for t in attention["off_target"]],
        },
        {
            "title": f"Warning signs raised: {len(attention['warnings'])} of {attention['signs']}",
            "lines": [f"{w.title}: {w.count}" for w in attention["warnings"]],
        },
        {
            "title": f"Decisions overdue: {len(attention['overdue'])}",
            "lines": [
                f"{d.executive}: {_short(d.question)} (due {formatting.moment(d.due_at)})" for d in attention["overdue"]
            ],
        },
        {"title": "Sign-off", "lines": _signatures(page["review"])},
    ]
    # What the last pack said is kept with it; without one, the month before is read as it stands.
    if since is not None and "raised" in since.summary:
        before, before_month = since.summary, since.month
    else:
        before_month = previous_month(month)
        before = _what_it_said(dashboard.exco_dashboard(before_month, now=now))
    now_said = _what_it_said(page)
    return {
        "sections": sections,
        **now_said,
        "since": formatting.month(before_month),
        "changes": _changes(page, before, since=since.prepared_at if since else None, month=month),
    }


def _what_it_said(page: dict) -> dict:
    """What a pack said that the next one is compared with: each KPI's status, and each warning
    sign's items by what they point at (an item's words name its month)."""
    return {
        "statuses": {str(pk): tile["status"] for pk, tile in _all_tiles(page).items()},
        "raised": sorted([w.title, item["url"]] for w in page["warnings"] for item in w.items),
    }


def _tile_line(tile: dict) -> str:
    kpi, snapshot = tile["kpi"], tile["snapshot"]
    value = figure(snapshot.value, kpi) if snapshot else "no figure"
    target = thresholds_in_words(snapshot.target, snapshot.red_threshold, kpi) if snapshot else ""
    return f"{kpi.name}: {value}, {tile['status']}" + (f" ({target})" if target else "")


def _short(text: str, limit: int = 110) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _signatures(review) -> list[str]:
    lines = []
    for slot, title in (("cio", "CIO"), ("coo", "COO")):
        by = getattr(review, f"{slot}_signed_by", None) if review else None
        at = getattr(review, f"{slot}_signed_at", None) if review else None
        lines.append(f"{title}: signed by {by} on {formatting.moment(at)}" if by else f"{title}: not signed yet")
    return lines


def _all_tiles(page: dict) -> dict[int, dict]:
    tiles = [page["primary"], *page["headline"], *(t for layer in page["layers"] for t in layer["tiles"])]
    return {t["kpi"].pk: t for t in tiles if t}


def _changes(page: dict, before: dict, *, since: datetime | None, month: date) -> list[str]:
    """Status changes of every KPI on the page, warning signs newly raised, and the restatements
    applied since the last pack."""
    lines = []
    for pk, tile in _all_tiles(page).items():
        earlier = before["statuses"].get(str(pk))
        if earlier and tile["status"] and earlier != tile["status"]:
            lines.append(f"{tile['kpi'].name}: {earlier} to {tile['status']}")
    raised_before = {tuple(key) for key in before["raised"]}
    for sign in page["warnings"]:
        for item in sign.items:
            if (sign.title, item["url"]) not in raised_before:
                lines.append(f"New warning sign, {sign.title.lower()}: {item['text']}")
    # With no pack before it, "since" is since the month reviewed began.
    restated = Restatement.objects.filter(applied_at__gt=since or start_of_month(month))
    for r in restated.select_related("revision", "applied_by").order_by("applied_at"):
        lines.append(
            f"{formatting.month(r.revision.month)} restated (revision {r.revision.revision}) by {r.applied_by} "
            f"on {formatting.day(r.applied_at)}: {_short(r.reason)}"
        )
    return lines


# --- Settings --------------------------------------------------------------------------------------


def subscription_of(member) -> dict:
    """A member's choice as the settings form's initial values: on, as HTML, until they choose."""
    found = PreReadSubscription.objects.filter(member=member).first()
    return {"enabled": found.enabled, "format": found.format} if found else {"enabled": True, "format": "html"}


def sent_to(member, count: int = 12) -> list[PreReadDelivery]:
    """The pre-reads a member was sent or is owed, latest first."""
    return list(PreReadDelivery.objects.filter(recipient=member).select_related("preread")[:count])


def schedule_words() -> str:
    """When the pre-read goes, in words, or that no schedule is set."""
    schedule = ExcoSchedule.objects.first()
    if schedule is None:
        return "No meeting schedule is set yet, so no pre-read is sent: an admin sets it in the administration."
    today = timezone.localdate()
    meeting = next_meeting(today, schedule)
    return (
        f"The ExCo meets on the {schedule.get_week_display().lower()} {schedule.get_weekday_display()} of each "
        f"month; the next meeting is on {_meeting_words(meeting)}, and its pre-read goes on "
        f"{_meeting_words(preread_day(meeting, schedule.preread_working_days))} at {schedule.send_hour:02d}:00."
    )


def preread_subscription_set(*, by, enabled: bool, mail_format: str) -> PreReadSubscription:
    """A member turns their pre-read on or off and picks its format."""
    if not by.is_executive:
        raise PermissionDenied(ONLY_MEMBERS)
    if mail_format not in PreReadFormat.values:
        raise ValidationError({"format": f"Choose one of: {', '.join(PreReadFormat.labels)}."})
    subscription, _ = PreReadSubscription.objects.update_or_create(
        member=by, defaults={"enabled": bool(enabled), "format": mail_format, "updated_at": timezone.now()}
    )
    return subscription


def exco_schedule_save(*, by, week: int, weekday: int, preread_working_days: int, send_hour: int) -> ExcoSchedule:
    """An admin sets when the ExCo meets and when its pre-read goes."""
    if not by.has_perm("scoreboard.change_excoschedule"):
        raise PermissionDenied(ONLY_ADMINS)
    wrong = {
        "week": week not in MeetingWeek.values,
        "weekday": weekday not in Weekday.values,
        "preread_working_days": not 1 <= preread_working_days <= PREREAD_DAYS_MAX,
        "send_hour": not 0 <= send_hour <= 23,
    }
    if any(wrong.values()):
        raise ValidationError({name: SCHEDULE_WORDS[name] for name, bad in wrong.items() if bad})
    schedule, _ = ExcoSchedule.objects.update_or_create(
        pk=1,
        defaults={
            "week": week,
            "weekday": weekday,
            "preread_working_days": preread_working_days,
            "send_hour": send_hour,
            "updated_at": timezone.now(),
        },
    )
    return schedule


def preread_resend(*, by, delivery: PreReadDelivery, now: datetime | None = None) -> PreReadDelivery:
    """An admin sends a failed (or unaddressed) pre-read again, once they have checked why."""
    if not by.has_perm("scoreboard.change_prereaddelivery"):
        raise PermissionDenied("Only an admin sends a pre-read again.")
    now = now or timezone.now()
    with transaction.atomic():
        current = PreReadDelivery.objects.select_for_update().select_related("recipient").get(pk=delivery.pk)
        if current.status not in (DeliveryStatus.FAILED, DeliveryStatus.SKIPPED):
            state = current.get_status_display().lower()
            raise ValidationError({"status": f"Only a failed or unsent pre-read is sent again; this one is {state}."})
        if not current.recipient.email:
            raise ValidationError({"address": f"{current.recipient} has no e-mail address: add one first."})
        current.status, current.attempts, current.address = DeliveryStatus.PENDING, 0, current.recipient.email
        current.next_attempt_at, current.last_error = now, ""
        current.save(update_fields=["status", "attempts", "address", "next_attempt_at", "last_error"])
    return current
