"""The pre-read through a real SMTP server process (aiosmtpd, writing a Maildir): refused while the
server is down, tried again and delivered once when it is back, with the pack attached as bytes
that a mail client reads back whole."""

from __future__ import annotations

import mailbox
import socket
import subprocess
import sys
import time
from datetime import timedelta
from email import policy
from email.parser import BytesParser

import pytest

from scoreboard.exco import preread
from scoreboard.models import DeliveryStatus, PreRead, PreReadDelivery
from tests.exco.test_preread import SEND, company  # noqa: F401 - the fixture: a month to send

pytestmark = pytest.mark.django_db


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings, tmp_path):
    """The mail settings pointed at a loopback port; ``start()`` starts the server process there."""
    port = _free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    maildir = tmp_path / "maildir"
    processes = []

    def start() -> mailbox.Maildir:
        command = [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}"]
        command += ["-c", "aiosmtpd.handlers.Mailbox", str(maildir)]
        processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return mailbox.Maildir(maildir)
            except OSError:
                time.sleep(0.1)
        pytest.fail(f"aiosmtpd did not listen on {port}: {processes[-1].stderr.read(2000) if processes else ''}")

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


def test_refused_while_the_server_is_down_then_delivered_once_when_it_is_back(company, smtp, cio):  # noqa: F811
    owed = preread.prereads_due(now=SEND)
    mine = PreReadDelivery.objects.get(pk__in=owed, recipient=cio)

    wait = preread.preread_deliver(mine.pk, now=SEND)
    assert wait == timedelta(minutes=5)
    down = PreReadDelivery.objects.get(pk=mine.pk)
    assert (down.status, down.attempts) == (DeliveryStatus.PENDING, 1)
    assert "Connection refused" in down.last_error or "ConnectionRefusedError" in down.last_error

    box = smtp()
    later = SEND + wait
    assert mine.pk in preread.prereads_due(now=later)
    assert preread.preread_deliver(mine.pk, now=later) is None
    assert preread.preread_deliver(mine.pk, now=later) is None  # a duplicate message: nothing owed

    received = [BytesParser(policy=policy.default).parsebytes(m.as_bytes()) for m in box]
    assert [m["To"] for m in received] == [cio.email]
    pack = next(part for part in received[0].iter_attachments() if part.get_content_type() == "application/pdf")
    assert pack.get_content() == bytes(PreRead.objects.get().pdf)
    assert received[0]["Subject"].startswith("ExCo pre-read: March 2026")
    sent = PreReadDelivery.objects.get(pk=mine.pk)
    assert (sent.status, sent.attempts, sent.last_error) == (DeliveryStatus.SENT, 2, "")
