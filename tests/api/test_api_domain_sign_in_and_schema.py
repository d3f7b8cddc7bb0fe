"""The REST API over the rest of the domain (/api/v1/), as a whole: every endpoint refuses the
signed-out with 401, reading or writing, and the schema documents the writes without warnings."""

import pytest
from django.core.management import call_command

from scoreboard.models import MonthlyReview
from tests.api.domain_helpers import API, MONTH, ask, post

pytestmark = pytest.mark.django_db


# --- Signing in -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "initiatives",
        "milestones",
        "backlog-items",
        "workflow-changes",
        "shadow-ai-tools",
        "risks",
        "matrix-versions",
        "matrix-decisions",
        "decision-requests",
        "reviews",
    ],
)
def test_anonymous_reading_or_writing_is_refused_with_401(client, path):
    assert client.get(f"{API}/{path}/").status_code == 401
    assert post(client, f"{API}/{path}/", {}).status_code == 401


def test_anonymous_signing_a_month_or_answering_a_request_gets_401(client, coo, ops_lead_a):
    request = ask(coo, ops_lead_a)
    assert post(client, f"{API}/reviews/{MONTH}/sign/", {"slot": "coo", "comment": "Fine."}).status_code == 401
    assert post(client, f"{API}/decision-requests/{request.pk}/answer/", {"answer": "approved"}).status_code == 401
    assert not MonthlyReview.objects.exists()


# --- The schema -----------------------------------------------------------------------------------


def test_the_schema_generates_without_warnings_and_documents_the_new_writes(tmp_path, client, cio):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    client.force_login(cio)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    for create in ["initiatives", "milestones", "risks", "matrix-versions", "decision-requests"]:
        parameters = paths[f"/api/v1/{create}/"]["post"]["parameters"]
        assert any(p["name"] == "Idempotency-Key" for p in parameters), create
    assert "409" in paths["/api/v1/initiatives/{code}/"]["delete"]["responses"]
    assert "403" in paths["/api/v1/reviews/{month}/sign/"]["post"]["responses"]
    assert "StatusEnum" in schema["components"]["schemas"]  # the snapshots' enum keeps its name
