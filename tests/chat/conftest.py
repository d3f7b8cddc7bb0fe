"""Chat destinations pointing at a real local HTTP server that records what it is posted."""

from __future__ import annotations

import itertools

import pytest

from scoreboard.models import ChatDestination, ChatEvent, ChatKind

_names = itertools.count(1)


@pytest.fixture(autouse=True)
def _webhooks_may_reach_the_local_server(settings):
    settings.METRIC_SOURCE_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.SITE_URL = "https://scoreboard.example.com"


@pytest.fixture
def channel(fake_source, monkeypatch, db):
    """``channel(kind, events)``: a destination whose variable holds the local server's URL
    (``/hooks/<n>``), answering 200 unless the test programs the path otherwise."""

    def make(kind=ChatKind.SLACK, events=tuple(ChatEvent.values), *, name=None) -> ChatDestination:
        n = next(_names)
        path = f"/hooks/{n}"
        fake_source.text(path, "ok")
        variable = f"SCOREBOARD_CHAT_TEST_{n}"
        monkeypatch.setenv(variable, fake_source.url(path))
        destination = ChatDestination.objects.create(
            name=name or f"Channel {n}", kind=kind, url_env=variable, events=list(events)
        )
        destination.path = path
        return destination

    return make
