"""What the domain API's tests share: its root, a past month, JSON posts and patches as a person,
and a decision request made straight in the database.
"""

import json
from datetime import timedelta

from django.utils import timezone

from governance.models import DecisionRequest

API = "/api/v1"
MONTH = "2026-01"  # a past month: it can be signed off


def post(client, url, body, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def patch(client, url, body):
    return client.patch(url, json.dumps(body), content_type="application/json")


def as_user(client, user):
    client.force_login(user)
    return client


def ask(executive, requested_by, **extra):
    now = timezone.now()
    return DecisionRequest.objects.create(
        question="Go live with claims triage in Belgium?",
        requested_by=requested_by,
        executive=executive,
        requested_at=now,
        due_at=now + timedelta(hours=24),
        **extra,
    )
