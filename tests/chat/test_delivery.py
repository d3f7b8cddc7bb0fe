"""Posting a chat notification: the shape each webhook takes, once only, retries that end.

Every post goes over real sockets to a local HTTP server that records what it receives; nothing
of the HTTP client or of our stack is patched.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from scoreboard import chat
from scoreboard.models import ChatEvent, ChatKind, ChatNotification, ChatStatus
from tests.fake_sources import unused_port
from tests.worker import wait_for

pytestmark = pytest.mark.django_db

LINK = "https://scoreboard.example.com/exco/2026-02/"


def _ready(key="month-ready:2026-02", event=ChatEvent.MONTH_READY):
    return chat.notify(event=event, key=key, text="February 2026 is ready to sign.", path="/exco/2026-02/")


def _posted(fake_source, destination):
    return [json.loads(r.body) for r in fake_source.requests_to(destination.path) if r.method == "POST"]


def _failing_first(status: int):
    """Answer ``status`` to the first post and 200 to the next ones."""
    answers = iter([status])

    def respond(h):
        h.answer(next(answers, 200), b"ok", "text/plain")

    return respond


def test_slack_gets_its_text_with_a_link_to_the_page(channel, fake_source):
    slack = channel(ChatKind.SLACK)
    [owed] = _ready()

    assert chat.deliver(notification_id=owed).outcome == chat.Outcome.SENT

    assert _posted(fake_source, slack) == [
        {"text": f"February 2026 is ready to sign.\n<{LINK}|Open in the AI scoreboard>"}
    ]
    assert fake_source.requests_to(slack.path)[0].headers["Content-Type"] == "application/json"
    assert ChatNotification.objects.get(pk=owed).status == ChatStatus.SENT


def test_teams_gets_an_adaptive_card_with_a_link_to_the_page(channel, fake_source):
    teams = channel(ChatKind.TEAMS)
    [owed] = _ready()

    chat.deliver(notification_id=owed)

    [message] = _posted(fake_source, teams)
    assert message["type"] == "message"
    [attachment] = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert card["body"][0]["text"] == "February 2026 is ready to sign."
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open in the AI scoreboard", "url": LINK}]


def test_slack_text_cannot_mention_the_whole_channel(channel, fake_source):
    slack = channel(ChatKind.SLACK)
    [owed] = chat.notify(event=ChatEvent.KPI_RED, key="kpi-red:x", text="<!channel> is red", path="/")
    chat.deliver(notification_id=owed)
    assert _posted(fake_source, slack)[0]["text"].startswith("&lt;!channel&gt; is red")


def test_an_event_detected_twice_is_owed_and_posted_once(channel, fake_source):
    slack = channel()
    first = _ready()
    second = _ready()

    for pk in first + second:
        chat.deliver(notification_id=pk)

    assert ChatNotification.objects.count() == 1
    assert len(_posted(fake_source, slack)) == 1


def test_a_task_run_again_after_the_post_posts_nothing(channel, fake_source):
    slack = channel()
    [owed] = _ready()
    chat.deliver(notification_id=owed)

    again = chat.deliver(notification_id=owed)

    assert again.outcome == chat.Outcome.NOTHING
    assert len(_posted(fake_source, slack)) == 1
    assert ChatNotification.objects.get(pk=owed).attempts == 1


def test_a_500_is_tried_again_after_its_backoff_and_sent_once(channel, fake_source, settings, in_process_jobs):
    settings.CHAT_RETRY_BASE_SECONDS = 0.01
    slack = channel()
    fake_source.route(slack.path, _failing_first(500))
    [owed] = _ready()

    first = chat.deliver(notification_id=owed)
    row = ChatNotification.objects.get(pk=owed)
    assert first.outcome == chat.Outcome.RETRY
    assert (row.status, row.attempts) == (ChatStatus.PENDING, 1)
    assert "answered 500 Internal Server Error" in row.last_error

    # The sweeper finds it owed once its backoff has passed, and its task posts it.
    assert chat.chat_sweep(now=timezone.now() + timedelta(seconds=1)) == [owed]
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (ChatStatus.SENT, 2, "")
    assert len(_posted(fake_source, slack)) == 2  # the failed post and the one that landed
    assert chat.chat_sweep(now=timezone.now() + timedelta(hours=1)) == []


def test_a_retry_is_not_posted_before_its_backoff(channel, fake_source, settings):
    settings.CHAT_RETRY_BASE_SECONDS = 300
    slack = channel()
    fake_source.route(slack.path, _failing_first(503))
    [owed] = _ready()
    chat.deliver(notification_id=owed)

    assert chat.deliver(notification_id=owed).outcome == chat.Outcome.NOTHING
    assert chat.chat_sweep() == []
    assert len(_posted(fake_source, slack)) == 1
    assert ChatNotification.objects.get(pk=owed).next_attempt_at > timezone.now() + timedelta(seconds=100)


def test_a_400_is_failed_with_its_reason_and_not_tried_again(channel, fake_source):
    slack = channel()
    fake_source.status(slack.path, 400)
    [owed] = _ready()

    assert chat.deliver(notification_id=owed).outcome == chat.Outcome.FAILED

    row = ChatNotification.objects.get(pk=owed)
    assert row.status == ChatStatus.FAILED
    assert "answered 400 Bad Request" in row.last_error
    assert chat.chat_sweep(now=timezone.now() + timedelta(days=1)) == []
    assert len(_posted(fake_source, slack)) == 1


def test_a_failed_post_keeps_the_webhooks_path_out_of_the_log(channel, fake_source):
    slack = channel()
    fake_source.status(slack.path, 404)
    [owed] = _ready()
    chat.deliver(notification_id=owed)
    assert slack.path not in ChatNotification.objects.get(pk=owed).last_error


def test_a_refused_connection_is_tried_again_until_the_attempts_run_out(channel, monkeypatch, settings):
    settings.CHAT_RETRY_BASE_SECONDS = 0.01
    settings.CHAT_MAX_ATTEMPTS = 2
    slack = channel()
    monkeypatch.setenv(slack.url_env, f"http://127.0.0.1:{unused_port()}/hooks/gone")
    [owed] = _ready()

    assert chat.deliver(notification_id=owed).outcome == chat.Outcome.RETRY
    later = timezone.now() + timedelta(seconds=1)
    assert chat.deliver(notification_id=owed, now=later).outcome == chat.Outcome.FAILED

    row = ChatNotification.objects.get(pk=owed)
    assert row.status == ChatStatus.FAILED
    assert row.last_error.startswith("Gave up after 2 attempts:")
    assert "refused the connection" in row.last_error


def test_a_host_off_the_allow_list_is_refused_at_post_time_too(channel, fake_source, settings):
    channel()
    settings.METRIC_SOURCE_ALLOWED_HOSTS = ["hooks.slack.com"]  # tightened after the destination was saved
    [owed] = _ready()

    assert chat.deliver(notification_id=owed).outcome == chat.Outcome.FAILED

    assert "127.0.0.1 is a loopback address and is not on METRIC_SOURCE_ALLOWED_HOSTS" in (
        ChatNotification.objects.get(pk=owed).last_error
    )
    assert fake_source.requests == []


def test_a_variable_that_is_not_set_fails_the_post_saying_so(channel, monkeypatch, fake_source):
    slack = channel()
    monkeypatch.delenv(slack.url_env)
    [owed] = _ready()

    chat.deliver(notification_id=owed)

    row = ChatNotification.objects.get(pk=owed)
    assert row.status == ChatStatus.FAILED
    assert row.last_error == f"{slack.url_env} is not set on the server: nothing is posted until the operator sets it."
    assert fake_source.requests == []


def test_a_post_whose_worker_died_is_given_back_to_the_queue(channel, fake_source):
    slack = channel()
    [owed] = _ready()
    long_ago = timezone.now() - timedelta(hours=1)
    ChatNotification.objects.filter(pk=owed).update(status=ChatStatus.SENDING, attempts=1, claimed_at=long_ago)

    assert chat.chat_sweep() == [owed]
    chat.deliver(notification_id=owed)

    assert ChatNotification.objects.get(pk=owed).status == ChatStatus.SENT
    assert len(_posted(fake_source, slack)) == 1


def test_nothing_is_owed_when_no_destination_hears_the_event(channel):
    channel(events=[ChatEvent.KPI_RED])
    assert _ready() == []
    assert ChatNotification.objects.count() == 0


def test_a_disabled_destination_is_owed_nothing(channel):
    slack = channel()
    slack.enabled = False
    slack.save()
    assert _ready() == []


@pytest.mark.django_db(transaction=True)
def test_the_worker_posts_after_commit_and_its_task_retries_a_500(channel, fake_source, settings, real_worker):
    settings.CHAT_RETRY_BASE_SECONDS = 0.2
    slack = channel()
    fake_source.route(slack.path, _failing_first(502))

    with transaction.atomic():
        [owed] = _ready()
        assert fake_source.requests == []  # nothing is posted before the event's write commits

    assert wait_for(lambda: ChatNotification.objects.get(pk=owed).status == ChatStatus.SENT)
    assert ChatNotification.objects.get(pk=owed).attempts == 2
    assert len(_posted(fake_source, slack)) == 2
