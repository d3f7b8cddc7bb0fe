"""What the matrix's tests share: a published version, a decision (monitored or not) and a monthly
snapshot made straight in the database, the API, and every row of the matrix to show a refusal
changed nothing. The versions v1 and its draft are fixtures, in conftest.py.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from django.utils import timezone

from governance.models import MatrixDecision, MatrixVersion
from metrics.models import MonthlySnapshot
from tests import factories

API = "/api/v1"
TODAY = timezone.localdate()
MARCH = date(2026, 3, 1)


def published(admin, approver, *, number=1, effective_from=date(2026, 1, 1), **extra) -> MatrixVersion:
    return MatrixVersion.objects.create(
        number=number,
        status=MatrixVersion.Status.PUBLISHED,
        effective_from=effective_from,
        reason="The matrix the COO's office kept.",
        created_by=admin,
        published_by=admin,
        approved_by=approver,
        published_at=timezone.now(),
        submitted_at=timezone.now(),
        **extra,
    )


def approved(admin, version, approver=None, *, effective_from=TODAY, reason="Raise the bar.", words="Agreed."):
    """Publish ``version`` as every path does: asked by ``admin``, approved by the executive asked."""
    from governance.services.decisions import decision_answer
    from governance.services.matrix import matrix_version_submit

    asked = matrix_version_submit(
        by=admin, version=version, effective_from=effective_from, reason=reason, approver=approver
    )
    decision_answer(decision_request=asked, by=asked.executive, answer="approved", note=words)
    version.refresh_from_db()
    return version


def decision(version, key="claims-fast-track", **fields) -> MatrixDecision:
    return factories.MatrixDecisionFactory(version=version, key=key, **fields)


def monitored(version, kpi, *, key="watched", threshold="3", when="above", **fields) -> MatrixDecision:
    return decision(version, key, monitoring_kpi=kpi, breach_threshold=Decimal(threshold), breach_when=when, **fields)


def snapshot(kpi, value, *, initiative=None, month=MARCH) -> MonthlySnapshot:
    return MonthlySnapshot.objects.create(
        kpi=kpi, initiative=initiative, month=month, value=Decimal(str(value)), computed_at=timezone.now()
    )


def draft_decision(draft) -> MatrixDecision:
    return draft.decisions.get()


def api(client, user, method, url, body=None):
    client.force_login(user)
    return client.generic(method, url, json.dumps(body) if body is not None else "", content_type="application/json")


def snapshot_of_rows() -> list:
    return list(MatrixDecision.objects.order_by("pk").values()) + list(MatrixVersion.objects.order_by("pk").values())
