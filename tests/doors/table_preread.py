"""Rows of the table: the ExCo pre-read's writes. Its schedule is an admin's (the admin only), a
member's subscription is their own page's, and sending one again is an admin action."""

from __future__ import annotations

from datetime import UTC, date, datetime

from scoreboard.models import DeliveryStatus, ExcoSchedule, PreRead, PreReadDelivery, PreReadSubscription

from .harness import Door, Send, admin_form

DAYS = "a pre-read goes 1 to 10 working days before the meeting"
FORMAT = "a member's pre-read comes as HTML or as plain text"
RESEND = "only a failed or unsent pre-read is sent again"
WHEN = datetime(2026, 4, 9, 7, 30, tzinfo=UTC)


def _schedule_admin(w, c):
    url = "/admin/scoreboard/excoschedule/add/"
    return Send("POST", url, admin_form(c, url, week=2, weekday=1, preread_working_days=11, send_hour=7))


def _format_page(w, c):
    return Send("POST", "/exco/pre-read/", {"enabled": "on", "format": "pdf"})


def _resend_sent_admin(w, c):
    preread = PreRead.objects.create(
        month=date(2026, 3, 1), meeting_on=date(2026, 4, 14), pdf=b"%PDF-1.7", sha256="0" * 64, prepared_at=WHEN
    )
    sent = PreReadDelivery.objects.create(
        preread=preread, recipient=w.cio, address=w.cio.email, format="html", status=DeliveryStatus.SENT,
        attempts=1, sent_at=WHEN, created_at=WHEN,
    )  # fmt: skip
    url = "/admin/scoreboard/prereaddelivery/"
    return Send("POST", url, {"action": "send_again", "_selected_action": [sent.pk]})


DOORS = [
    Door(DAYS, "admin", "admin_user", ExcoSchedule, _schedule_admin, 200,
         "Pre-read working days: from 1 to 10 working days before the meeting"),
    Door(FORMAT, "page", "cio", PreReadSubscription, _format_page, 400, "pdf is not one of the available choices"),
    # The action answers with a redirect; its refusal is a message on the next page: nothing stored is the proof.
    Door(RESEND, "admin", "admin_user", PreReadDelivery, _resend_sent_admin, 302, None, what="one already sent"),
]  # fmt: skip
