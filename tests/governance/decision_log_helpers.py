"""What the decision log's tests share: its address, a request's page, and requests asked and
answered straight in the database (one, or a whole log of them).
"""

from datetime import timedelta

from django.utils import timezone

from governance.models import DecisionRequest
from tests import factories

LOG = "/governance/decisions/"
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def detail_url(request: DecisionRequest) -> str:
    return f"{LOG}{request.pk}/"


def asked(executive, by, *, question="Go live with claims triage in Belgium?", ago=timedelta(0), due=DAY, **extra):
    """A request asked ``ago`` and due ``due`` after it was asked, stored directly (its history
    is not what these tests are about)."""
    at = timezone.now() - ago
    return DecisionRequest.objects.create(
        question=question, requested_by=by, executive=executive, requested_at=at, due_at=at + due, **extra
    )


def answered(request: DecisionRequest, answer="approved", *, after=HOUR, note="") -> DecisionRequest:
    request.answer, request.note, request.answered_at = answer, note, request.requested_at + after
    request.save()
    return request


def _log_of(size: int, ops_lead) -> None:
    """``size`` requests each to a different executive, from a different person, about a different
    initiative, a third of them answered: nothing a page reads can be shared between rows."""
    for n in range(size):
        executive = factories.executive(username=f"exec{n}", title="OTHER")
        asker = factories.ops_lead(username=f"asker{n}")
        initiative = factories.InitiativeFactory(technology_owner=executive)
        request = asked(executive, asker, question=f"Question {n}", ago=n * HOUR, initiative=initiative)
        if n % 3 == 0:
            answered(request, after=timedelta(minutes=30))
