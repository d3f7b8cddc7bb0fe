"""The matrix for auditors: the history of every change with who, when and why, the CSV export with
its formulas escaped, and the print view of a version."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.governance.matrix_helpers import approved, decision, monitored

pytestmark = pytest.mark.django_db


# --- History, CSV and print ------------------------------------------------------------------------------


def test_the_history_lists_every_change_with_who_when_and_why(client, changed_draft, admin_user, coo, cio):
    approved(admin_user, changed_draft, reason="Raise the bar.")
    client.force_login(cio)
    page = client.get(reverse("governance:matrix-history")).content.decode()
    assert "version v2" in page
    assert "Asked Omar Okafor (COO) to approve it, effective" in page
    assert "Approved by Omar Okafor (COO), effective" in page
    assert "Status: Awaiting approval → <strong>Published</strong>" in page
    assert "Copied from v1 into the draft" in page
    assert "Draft opened from v1" in page


def test_the_csv_export_has_a_header_every_decision_and_escapes_formulas(client, v1, cio, kpi):
    monitored(v1, kpi, key="watched", override_protocol='=HYPERLINK("http://evil")')
    client.force_login(cio)
    response = client.get(reverse("governance:matrix-csv", args=[1]))
    assert response["Content-Disposition"] == 'attachment; filename="decision-matrix-v1-effective-2026-01-01.csv"'
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("version,version_status,effective_from,process,initiative,initiative_name,key,decision")
    assert len(lines) == 3
    assert "'=HYPERLINK" in lines[2]
    assert "fixture-kpi" in lines[2]


def test_the_print_view_shows_the_version_its_publication_and_every_decision(client, v1, cio):
    decision(v1, "second", decision="Close a claim")
    client.force_login(cio)
    page = client.get(reverse("governance:matrix-print", args=[1])).content.decode()
    for text in (
        "Decision-authority matrix v1",
        "1 Jan 2026",
        "The matrix the COO&#x27;s office kept.",
        "Omar Okafor (COO)",
        "Approve a low-value claim",
        "Close a claim",
    ):
        assert text in page, text
    assert 'href="/static/css/matrix.css"' in page
