"""Chat notifications: Slack and Microsoft Teams incoming webhooks told about what happened.

- **Destinations** (``chat_destination_save``, admins only): a name, a kind, the events it hears
  about, and the name of the environment variable that holds its webhook URL (a secret: whoever
  has it posts to the channel). The variable must be one meant for chat (CHAT_WEBHOOK_ENV_PREFIX,
  or listed in CHAT_WEBHOOK_ENV_ALLOWED), never the server's own; its URL goes through the same
  allow-list and guard as the metric sources (scoreboard/net.py), on save when it is set, and
  again on every post.
- **Recording** (``notify``): where an event is born, in that write's transaction, one
  ChatNotification per destination hearing about it. The unique (destination, event key) makes
  an event detected twice a no-op. A worker is asked to post it once the transaction commits.
- **Posting** (``deliver``): claimed by a conditional UPDATE, so two workers never both post it;
  a 2xx is sent; a failure that may pass (5xx, 429, time-out, refused connection) waits with
  exponential backoff and is tried again by the task and the sweeper, up to CHAT_MAX_ATTEMPTS;
  anything else (a 4xx, a refused address, a variable not set) is failed with its reason, once.

This is the shared base: the apps call ``notify`` from their services (metrics and governance
each keep their detection in ``services/chat_events.py``) and nothing here imports them.
"""

from __future__ import annotations

import json
import logging
import os
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from . import links, net, writes
from .celery import app
from .models import ChatDestination, ChatEvent, ChatKind, ChatNotification, ChatStatus

logger = logging.getLogger(__name__)

ONLY_ADMINS = "Only admins configure chat destinations."
DESTINATION_FIELDS = ("name", "kind", "url_env", "events", "enabled")
_DELIVER = "scoreboard.tasks.chat_deliver"
_MAX_ANSWER_BYTES = 64 * 1024  # a webhook answers "ok" or "1"; nothing of it is kept
_PATIENT = {"max_retries": 3, "interval_start": 0, "interval_step": 1, "interval_max": 2}


# --- Which variables a destination may read -----------------------------------------------------


def env_allowed(name: str) -> bool:
    prefix = settings.CHAT_WEBHOOK_ENV_PREFIX
    return bool(name) and ((bool(prefix) and name.startswith(prefix)) or name in settings.CHAT_WEBHOOK_ENV_ALLOWED)


def env_refusal(name: str) -> str:
    return (
        f"{name or '(none)'} is not a variable chat destinations may read: name one that starts with "
        f"{settings.CHAT_WEBHOOK_ENV_PREFIX} (or that the operator lists in CHAT_WEBHOOK_ENV_ALLOWED)."
    )


def webhook_url(destination: ChatDestination) -> str:
    """The destination's webhook URL, read from its variable now (empty when it is not set)."""
    return os.environ.get(destination.url_env, "").strip() if env_allowed(destination.url_env) else ""


def why_not_ready(destination: ChatDestination) -> str:
    """Why nothing would be posted to ``destination`` now, in words; empty when it is ready."""
    if not env_allowed(destination.url_env):
        return env_refusal(destination.url_env)
    if not webhook_url(destination):
        return f"{destination.url_env} is not set on the server: nothing is posted until the operator sets it."
    try:
        net.check(webhook_url(destination), allowed_hosts=settings.METRIC_SOURCE_ALLOWED_HOSTS)
    except net.FetchError as exc:
        if not exc.transient:
            return f"The address in {destination.url_env} is refused: {exc}"
    return ""


# --- Destinations (admins) ----------------------------------------------------------------------


def chat_destination_save(*, by, data: dict, destination: ChatDestination | None = None) -> ChatDestination:
    """Add a chat destination (``destination=None``) or change one: admins only. Refused by field:
    a name already used, an unknown kind or event, a variable not meant for chat, and, when the
    variable is set, an address the allow-list or the guard refuses (named on ``url_env``)."""
    writes.unknown_fields(data, DESTINATION_FIELDS)
    with transaction.atomic():
        if destination is None:
            writes.refuse_unless(by, "scoreboard.add_chatdestination", None, ONLY_ADMINS)
            current = ChatDestination()
        else:
            current = ChatDestination.objects.select_for_update().get(pk=destination.pk)
            writes.refuse_unless(by, "scoreboard.change_chatdestination", current, ONLY_ADMINS)
        for name, value in data.items():
            setattr(current, name, value.strip() if isinstance(value, str) else value)
        errors: dict[str, list[str]] = {}
        writes.collect_errors(errors, current)
        events = current.events if isinstance(current.events, list) else None
        if events is None or any(event not in ChatEvent.values for event in events):
            writes.add_error(errors, "events", f"Choose among: {', '.join(ChatEvent.values)}.")
        else:
            current.events = [event for event in ChatEvent.values if event in events]  # one order, no repeats
        if current.name and ChatDestination.objects.filter(name=current.name).exclude(pk=current.pk).exists():
            writes.add_error(errors, "name", f"Another destination is named {current.name}: choose another name.")
        if not env_allowed(current.url_env):
            writes.add_error(errors, "url_env", env_refusal(current.url_env))
        elif url := webhook_url(current):
            try:
                net.check(url, allowed_hosts=settings.METRIC_SOURCE_ALLOWED_HOSTS)
            except net.FetchError as exc:
                if not exc.transient:  # DNS not answering now says nothing about the address
                    writes.add_error(errors, "url_env", f"The address in {current.url_env} is refused: {exc}")
        writes.raise_if(errors)
        current._history_user = by
        current._change_reason = "Destination added" if destination is None else "Destination changed"
        current.save()
    return current


def chat_destination_delete(*, by, destination: ChatDestination) -> None:
    """Remove a destination and its delivery log (admins). To keep the log, disable it instead."""
    with transaction.atomic():
        current = ChatDestination.objects.select_for_update().get(pk=destination.pk)
        writes.refuse_unless(by, "scoreboard.delete_chatdestination", current, ONLY_ADMINS)
        current._history_user = by
        current._change_reason = "Destination removed"
        current.delete()


# --- Recording an event -------------------------------------------------------------------------


def notify(*, event: ChatEvent, key: str, text: str, path: str, now: datetime | None = None) -> list[int]:
    """Record, in the caller's transaction, that every enabled destination hearing about ``event``
    is owed ``text`` with a link to ``path`` (a path on this site); ask a worker to post each once
    the transaction commits. An event already recorded for a destination (same ``key``) is left
    as it is. Returns the ids newly owed."""
    now = now or timezone.now()
    hearing = [d for d in ChatDestination.objects.filter(enabled=True) if d.hears(event)]
    if not hearing:
        return []
    key = key[:200]
    ChatNotification.objects.bulk_create(
        [
            ChatNotification(
                destination=d,
                event=event,
                event_key=key,
                text=text[:1000],
                link=links.absolute(path),
                next_attempt_at=now,
                created_at=now,
            )
            for d in hearing
        ],
        ignore_conflicts=True,
    )
    # The rows this call created: the others were owed (or sent) already.
    owed = list(
        ChatNotification.objects.filter(event_key=key, destination__in=hearing, created_at=now, attempts=0)
        .filter(status=ChatStatus.PENDING)
        .values_list("pk", flat=True)
    )
    transaction.on_commit(lambda: [deliver_enqueue(notification_id=pk) for pk in owed])
    return owed


def deliver_enqueue(*, notification_id: int, countdown: float | None = None, patient: bool = False) -> None:
    """Ask a worker to post one notification (or post it here when jobs are in-process). With the
    broker down the row stays owed, and the sweeper sends it."""
    options = {"retry": True, "retry_policy": _PATIENT} if patient else {"retry": False}
    try:
        app.tasks[_DELIVER].apply_async(args=[notification_id], countdown=countdown, **options)
    except Exception:  # the row is the promise; the sweeper keeps it
        logger.warning("could not enqueue chat notification %s; the sweeper will", notification_id, exc_info=True)


# --- Posting ------------------------------------------------------------------------------------


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # owed again at next_attempt_at
    FAILED = "failed"
    NOTHING = "nothing"  # not due, already sent, or another worker holds it


@dataclass(frozen=True)
class Delivery:
    outcome: Outcome
    retry_in: float | None = None  # seconds, with Outcome.RETRY


def deliver(*, notification_id: int, now: datetime | None = None) -> Delivery:
    """Post one owed notification, once. Safe to run twice and from two workers: the row is
    claimed by a conditional UPDATE (pending and due → sending) and only the claimant posts."""
    now = now or timezone.now()
    claimed = ChatNotification.objects.filter(
        pk=notification_id, status=ChatStatus.PENDING, next_attempt_at__lte=now
    ).update(status=ChatStatus.SENDING, attempts=F("attempts") + 1, claimed_at=now)
    if not claimed:
        return Delivery(Outcome.NOTHING)
    notification = ChatNotification.objects.select_related("destination").get(pk=notification_id)
    destination = notification.destination
    url = webhook_url(destination)
    if not url:
        return _failed(notification, why_not_ready(destination) or f"{destination.url_env} is not set on the server.")
    try:
        net.fetch(
            url,
            method="POST",
            headers={"Content-Type": "application/json"},
            body=json.dumps(payload(destination.kind, notification.text, notification.link)).encode(),
            timeout=settings.CHAT_WEBHOOK_TIMEOUT_SECONDS,
            max_bytes=_MAX_ANSWER_BYTES,
            allowed_hosts=settings.METRIC_SOURCE_ALLOWED_HOSTS,
            max_redirects=0,  # a webhook answers where it is; a redirect would drop the POST's body
        )
    except net.FetchError as exc:
        # The URL is a secret: net's messages show it without its query, but the path of a
        # webhook's URL is its key. Only the host is kept.
        reason = _without_path(str(exc), url)
        if exc.transient and notification.attempts < settings.CHAT_MAX_ATTEMPTS:
            delay = retry_delay(notification.attempts)
            ChatNotification.objects.filter(pk=notification.pk).update(
                status=ChatStatus.PENDING, next_attempt_at=now + timedelta(seconds=delay), last_error=reason
            )
            return Delivery(Outcome.RETRY, retry_in=delay)
        if exc.transient:
            reason = f"Gave up after {notification.attempts} attempts: {reason}"
        return _failed(notification, reason)
    ChatNotification.objects.filter(pk=notification.pk).update(
        status=ChatStatus.SENT, sent_at=timezone.now(), last_error=""
    )
    return Delivery(Outcome.SENT)


def _failed(notification: ChatNotification, reason: str) -> Delivery:
    ChatNotification.objects.filter(pk=notification.pk).update(status=ChatStatus.FAILED, last_error=reason[:2000])
    return Delivery(Outcome.FAILED)


def _without_path(message: str, url: str) -> str:
    parts = urlsplit(url)
    shown = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
    return message.replace(f"{shown}{parts.path}", shown) if parts.path not in ("", "/") else message


def retry_delay(attempts: int) -> float:
    """Exponential backoff with jitter after the ``attempts``-th failed post, capped."""
    ceiling = min(settings.CHAT_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), settings.CHAT_RETRY_MAX_SECONDS)
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not security


def payload(kind: str, text: str, link: str) -> dict:
    """The message as each kind of webhook takes it: Slack's ``text`` (with its own link syntax),
    or for Teams an Adaptive Card in a message, which both Teams' Workflows webhooks and its
    older incoming-webhook connectors accept."""
    if kind == ChatKind.SLACK:
        return {"text": f"{_slack_escaped(text)}\n<{link}|Open in the AI scoreboard>"}
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [{"type": "TextBlock", "text": text, "wrap": True}],
        "actions": [{"type": "Action.OpenUrl", "title": "Open in the AI scoreboard", "url": link}],
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def _slack_escaped(text: str) -> str:
    # Slack reads <...> as links and mentions: a KPI named "<!channel>" must not ping everyone.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- The sweeper ----------------------------------------------------------------------------------


def chat_sweep(*, now: datetime | None = None) -> list[int]:
    """Re-send what is owed and due (its message lost, or a retry whose task is gone), and give
    back to the queue a post whose worker died mid-way (claimed longer ago than a post can take).
    Returns the ids enqueued."""
    now = now or timezone.now()
    stuck_before = now - timedelta(seconds=settings.CHAT_WEBHOOK_TIMEOUT_SECONDS + 60)
    ChatNotification.objects.filter(status=ChatStatus.SENDING, claimed_at__lt=stuck_before).update(
        status=ChatStatus.PENDING, next_attempt_at=now
    )
    # A fresh row's own message gets a minute to be picked up before the sweeper sends another.
    due = ChatNotification.objects.filter(status=ChatStatus.PENDING, next_attempt_at__lte=now).filter(
        Q(attempts__gt=0) | Q(created_at__lt=now - timedelta(seconds=60))
    )
    ids = list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:500])
    for pk in ids:
        deliver_enqueue(notification_id=pk, patient=True)
    return ids
