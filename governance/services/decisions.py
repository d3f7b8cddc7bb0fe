"""The decision log: decisions asked of an executive, their answers, and the overdue digest.

One path for the pages, the API and the Celery task:

- ``decision_request_create``: anyone signed in asks an active executive a question, due within
  24 hours unless they give a later time; the same open question to the same executive from
  the same person is refused, so a double submit never asks twice;
- ``decision_answer``: only the executive asked answers, once. Two kinds of request are approvals
  the app acts on in the same transaction: a matrix version's publication (matrix.py) and an
  initiative's move into a late stage (stage_moves.py). They are approved or refused, never
  deferred, always with the approver's words;
- ``ask``: what every request shares, for the services that ask for an approval;
- ``decision_digests_send``: each morning, every executive with requests past due hears about
  all of them, once a day, every day until they are answered.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from initiatives.models import Initiative
from scoreboard import formatting, links, writes

from ..models import DecisionAnswer, DecisionDigest, DecisionRequest

# The product's answer target: a decision asked during deployment is due within a day.
ANSWER_WITHIN = timedelta(hours=24)
QUESTION_EMPTY = "Say what is to be decided: the question is empty."
STATES = {"open": "Open", "overdue": "Overdue", "answered": "Answered"}


def _when(moment: datetime) -> str:
    return formatting.moment(moment)


def how_long(delta: timedelta) -> str:
    """A duration as people say it, to the two largest units: "2 days 3 hours", "40 minutes"."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    said = [f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n]
    return " ".join(said[:2]) if said else "less than a minute"


# --- Asking -------------------------------------------------------------------------------------------


def decision_request_create(
    *,
    by,
    executive,
    question: str,
    initiative: Initiative | None = None,
    due_at: datetime | None = None,
    now: datetime | None = None,
) -> DecisionRequest:
    """Ask ``executive`` to decide ``question``, as ``by`` (anyone signed in).

    The one asked must be an active executive; the question must say something; the answer is
    due 24 hours from now unless ``due_at`` gives a later time. The same question still
    waiting on the same executive from the same person is refused, naming when it was asked:
    a double submit or a retry never asks twice (the executive's row is locked while checking,
    so two identical asks at the same moment cannot both land)."""
    now = now or timezone.now()
    if not by.has_perm("governance.add_decisionrequest"):
        raise DjangoPermissionDenied("Only people signed in ask an executive for a decision.")
    question = (question or "").strip()
    errors: dict[str, str] = {}
    if executive is None or not executive.is_executive:
        who = f"“{executive.username}”" if executive is not None else "Nobody"
        errors["executive"] = f"{who} is not an active executive: only executives are asked for decisions."
    if not question:
        errors["question"] = QUESTION_EMPTY
    if due_at is not None and (problem := writes.date_problem(due_at)):
        errors["due_at"] = problem
    elif due_at is not None and due_at <= now:
        errors["due_at"] = (
            f"The due time {_when(due_at)} has already passed: choose a later time, "
            f"or leave it empty for 24 hours from now."
        )
    if errors:
        raise DjangoValidationError(errors)
    with transaction.atomic():
        # Asks to the same executive queue here, so the check below sees one that just landed.
        get_user_model().objects.select_for_update().get(pk=executive.pk)
        earlier = (
            DecisionRequest.objects.filter(
                requested_by=by, executive=executive, answered_at__isnull=True, question__iexact=question
            )
            .order_by("requested_at", "pk")
            .first()
        )
        if earlier is not None:
            raise DjangoValidationError(
                {
                    "question": f"You already asked {executive} this on {_when(earlier.requested_at)} and it is "
                    f"still waiting for an answer (request {earlier.pk}): it was not asked again."
                }
            )
        return ask(by=by, executive=executive, question=question, initiative=initiative, due_at=due_at, now=now)


def ask(*, by, executive, question: str, now: datetime, initiative=None, due_at=None, **approval) -> DecisionRequest:
    """Store a request (``by`` and the rest already judged by the caller, in its transaction), due
    24 hours from ``now`` unless ``due_at`` says otherwise. ``approval``: the matrix version or the
    stage the answer acts on."""
    request = DecisionRequest(
        initiative=initiative,
        question=question,
        requested_by=by,
        executive=executive,
        requested_at=now,
        due_at=due_at or now + ANSWER_WITHIN,
        **approval,
    )
    request.full_clean(validate_constraints=False)
    writes.raise_if(writes.value_errors(request))
    writes.save(request, by=by, why=f"Asked of {executive}, due {_when(request.due_at)}")
    return request


# --- Answering ------------------------------------------------------------------------------------------


APPROVAL_ANSWERS = (DecisionAnswer.APPROVED, DecisionAnswer.REJECTED)


def decision_answer(*, decision_request: DecisionRequest, by, answer: str, note: str = "") -> DecisionRequest:
    """Record the asked executive's answer. An answer is final: a second one is refused,
    naming when and how the request was answered. Locked, so two answers sent at the same
    moment cannot both land.

    An approval (a matrix version, a stage move) is approved or refused, with the approver's
    words, and acts in the same transaction: the version is published or sent back to draft,
    the initiative moves. If the act is refused (a gate no longer holds), nothing is stored and
    the request still waits."""
    from . import matrix, stage_moves  # they ask through this module

    with transaction.atomic():
        request = DecisionRequest.objects.select_for_update().get(pk=decision_request.pk)
        if not by.has_perm("governance.answer_decisionrequest", request):
            raise DjangoPermissionDenied(f"Only {request.executive}, who was asked, answers this request.")
        if request.answered_at is not None:
            when = _when(request.answered_at)
            raise writes.Conflict({"answer": f"Already answered ({request.answer}) on {when}: an answer is final."})
        note = (note or "").strip()
        if request.is_approval:
            errors = {}
            if answer not in APPROVAL_ANSWERS:
                errors["answer"] = "An approval is approved or rejected: it cannot be deferred."
            if not note:
                errors["note"] = "Say why, in a sentence: your words are kept with what you approve or reject."
            writes.raise_if(errors)
        request.answer = answer
        request.note = note
        request.answered_at = timezone.now()
        request.full_clean(validate_constraints=False)
        writes.raise_if(writes.value_errors(request))
        if request.matrix_version_id is not None:
            matrix.matrix_version_decide(request=request, by=by, now=request.answered_at)
        elif request.stage:
            stage_moves.stage_move_decide(request=request, by=by)
        writes.save(request, by=by, why=f"Answered: {answer}")
    return request


# --- Reads the log, the digest and the API share (each one query) ----------------------------------------


def _with_people() -> QuerySet[DecisionRequest]:
    return DecisionRequest.objects.select_related("executive", "requested_by", "initiative")


def overdue_requests(*, now: datetime) -> QuerySet[DecisionRequest]:
    """Requests still unanswered after their due time, by executive, the longest overdue first."""
    return _with_people().filter(answered_at__isnull=True, due_at__lt=now).order_by("executive_id", "due_at", "pk")


def open_requests_to(executive) -> QuerySet[DecisionRequest]:
    """What waits on one executive, the soonest due (or longest overdue) first."""
    return _with_people().filter(executive=executive, answered_at__isnull=True).order_by("due_at", "pk")


def decision_log(*, now: datetime, executive=None, initiative=None, state: str = "") -> QuerySet[DecisionRequest]:
    """The log: open requests first (the soonest due first, so the overdue lead), then the
    answered ones (the latest answer first). ``state`` is "open", "overdue" or "answered"."""
    requests = _with_people().annotate(
        is_answered=ExpressionWrapper(Q(answered_at__isnull=False), output_field=BooleanField())
    )
    if executive is not None:
        requests = requests.filter(executive=executive)
    if initiative is not None:
        requests = requests.filter(initiative=initiative)
    if state == "open":
        requests = requests.filter(answered_at__isnull=True)
    elif state == "overdue":
        requests = requests.filter(answered_at__isnull=True, due_at__lt=now)
    elif state == "answered":
        requests = requests.filter(answered_at__isnull=False)
    elif state:
        raise ValueError(f"Unknown state {state!r}")
    return requests.order_by("is_answered", F("answered_at").desc(), "due_at", "pk")


# --- The daily digest of overdue requests ------------------------------------------------------------------


def _digest_body(executive, requests: list[DecisionRequest], *, now: datetime) -> str:
    lines = [
        f"Hello {executive.first_name or executive.username},",
        "",
        f"{'This decision' if len(requests) == 1 else f'These {len(requests)} decisions'} asked of you "
        f"{'is' if len(requests) == 1 else 'are'} past due and still waiting for your answer:",
        "",
    ]
    for request in requests:
        about = f" about {request.initiative.name}" if request.initiative else ""
        lines += [
            f"- {request.question}",
            f"  Asked by {request.requested_by} on {_when(request.requested_at)}{about}.",
            f"  Due {_when(request.due_at)}: overdue by {how_long(now - request.due_at)}.",
            f"  {links.absolute(reverse('governance:decision', args=[request.pk]))}",
            "",
        ]
    log = reverse("governance:decisions") + "?" + urlencode({"executive": executive.username, "state": "overdue"})
    lines += [
        f"The decision log: {links.absolute(log)}",
        "",
        f"You will have this reminder each morning until {'it is' if len(requests) == 1 else 'each is'} answered.",
    ]
    return "\n".join(lines)


def decision_digests_send(*, now: datetime | None = None) -> int:
    """Email each active executive with an email address every request to them that is past
    due and unanswered. A reminder, not news: an overdue request is listed again each day
    until it is answered. One email per person per day: the day's DecisionDigest row is
    claimed in the same transaction before sending, so a second run the same day (or a
    retried task) sends nothing, and a failed send leaves the day unclaimed for the next run.
    Returns the number of emails sent."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    by_executive: dict[int, list[DecisionRequest]] = defaultdict(list)
    for request in overdue_requests(now=now):
        by_executive[request.executive_id].append(request)
    sent = 0
    for requests in by_executive.values():
        executive = requests[0].executive
        if not executive.is_active or not executive.email:
            continue
        with transaction.atomic():
            _, claimed = DecisionDigest.objects.get_or_create(
                recipient=executive,
                day=today,
                defaults={"sent_at": now, "request_ids": [r.pk for r in requests]},
            )
            if not claimed:
                continue
            count = len(requests)
            send_mail(
                subject=ngettext(
                    "AI scoreboard: %(n)s decision overdue, waiting on you",
                    "AI scoreboard: %(n)s decisions overdue, waiting on you",
                    count,
                )
                % {"n": count},
                message=_digest_body(executive, requests, now=now),
                from_email=None,
                recipient_list=[executive.email],
            )
        sent += 1
    return sent
