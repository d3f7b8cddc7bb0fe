"""The decision log: open requests first with the overdue marked, then the answered ones with whether
within their due time; its filters and pages; what is asked of the reader first; query counts that
do not grow with the log; and the ExCo page's decisions section linking to it."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.governance.decision_log_helpers import DAY, HOUR, LOG, _log_of, answered, asked, detail_url

pytestmark = pytest.mark.django_db


# --- The log ----------------------------------------------------------------------------------------------


def _rows(html: str) -> list[str]:
    """The ids of the log's rows, in order (decision-<pk>)."""
    table = html[html.index('id="decisions"') :]
    return re.findall(r'<tr id="decision-(\d+)"', table)


def test_the_log_lists_open_requests_first_overdue_marked_then_answered_latest_first(client, cio, coo, ops_lead_a):
    later = asked(coo, ops_lead_a, question="Due tomorrow", ago=HOUR)
    overdue = asked(coo, ops_lead_a, question="Overdue", ago=3 * DAY)
    old_answer = answered(asked(cio, ops_lead_a, question="Answered long ago", ago=10 * DAY))
    new_answer = answered(asked(cio, ops_lead_a, question="Answered lately", ago=2 * DAY))
    client.force_login(ops_lead_a)

    html = client.get(LOG).content.decode()

    assert _rows(html) == [str(r.pk) for r in (overdue, later, new_answer, old_answer)]
    row = html[html.index(f'id="decision-{overdue.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "Overdue" in row
    assert "by 2 days" in row


def test_the_log_says_whether_each_answer_came_within_its_due_time(client, cio, ops_lead_a):
    in_time = answered(asked(cio, ops_lead_a, question="Quick one", ago=3 * DAY), after=5 * HOUR, note="Fine.")
    late = answered(asked(cio, ops_lead_a, question="Slow one", ago=5 * DAY), after=DAY + 6 * HOUR)
    client.force_login(ops_lead_a)

    html = client.get(LOG).content.decode()

    def row(request):
        part = html[html.index(f'id="decision-{request.pk}"') :]
        return part[: part.index("</tr>")]

    assert "Approved" in row(in_time)
    assert "after 5 hours" in row(in_time)
    assert "in time" in row(in_time)
    assert "Fine." in row(in_time)
    assert "6 hours late" in row(late)
    assert "in time" not in row(late)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"state": "open"}, {"coo-open", "coo-overdue", "cio-open"}),
        ({"state": "overdue"}, {"coo-overdue"}),
        ({"state": "answered"}, {"cio-answered"}),
        ({"executive": "coo"}, {"coo-open", "coo-overdue"}),
        ({"initiative": "A"}, {"coo-overdue", "cio-answered"}),
        ({"executive": "cio", "state": "open"}, {"cio-open"}),
    ],
)
def test_the_log_filters_by_executive_initiative_and_state(client, cio, coo, ops_lead_a, initiative_a, query, expected):
    made = {
        "coo-open": asked(coo, ops_lead_a, question="coo-open"),
        "coo-overdue": asked(coo, ops_lead_a, question="coo-overdue", ago=2 * DAY, initiative=initiative_a),
        "cio-open": asked(cio, ops_lead_a, question="cio-open"),
        "cio-answered": answered(asked(cio, ops_lead_a, question="cio-answered", ago=DAY, initiative=initiative_a)),
    }
    names = {str(r.pk): name for name, r in made.items()}
    query = {k: (initiative_a.code if v == "A" else v) for k, v in query.items()}
    client.force_login(ops_lead_a)

    response = client.get(LOG, query)

    assert response.status_code == 200
    assert {names[pk] for pk in _rows(response.content.decode())} == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"state": "late"}, "State: “late” is not a state: choose one of open, overdue, answered."),
        ({"executive": "nobody"}, "Executive: Nobody asked for decisions has the username “nobody”"),
        ({"initiative": "no-such"}, "Initiative: No decision was asked about an initiative with the code “no-such”"),
    ],
)
def test_a_filter_that_cannot_be_applied_is_a_400_naming_it(client, cio, query, message):
    client.force_login(cio)

    response = client.get(LOG, query)

    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'id="decisions"' not in html


def test_the_log_is_paged_keeping_its_filters(client, coo, ops_lead_a):
    for n in range(55):
        asked(coo, ops_lead_a, question=f"Question {n}")
    client.force_login(ops_lead_a)

    first = client.get(LOG, {"executive": "coo"}).content.decode()
    second = client.get(LOG, {"executive": "coo", "page": 2}).content.decode()

    assert len(_rows(first)) == 50
    assert len(_rows(second)) == 5
    assert "?executive=coo&amp;page=2" in first


def test_an_executive_sees_what_is_asked_of_them_first(client, cio, coo, ops_lead_a):
    mine = asked(coo, ops_lead_a, question="For the COO", ago=2 * DAY)
    answered(asked(coo, ops_lead_a, question="For the COO, answered"))
    asked(cio, ops_lead_a, question="For the CIO")
    client.force_login(coo)

    html = client.get(LOG).content.decode()

    section = html[html.index('id="asked-of-you"') : html.index('id="filters"')]
    assert re.findall(r'<tr id="asked-(\d+)"', section) == [str(mine.pk)]
    assert "Overdue" in section


def test_an_ops_lead_has_nothing_asked_of_them(client, coo, ops_lead_a):
    asked(coo, ops_lead_a)
    client.force_login(ops_lead_a)

    assert 'id="asked-of-you"' not in client.get(LOG).content.decode()


@pytest.mark.parametrize("size", [2, 30])
def test_the_log_costs_the_same_queries_whatever_its_size(client, coo, ops_lead_a, django_assert_max_num_queries, size):
    _log_of(size, ops_lead_a)
    asked(coo, ops_lead_a, question="For the COO")
    client.force_login(coo)

    # Session, user, roles; the filters' executives and initiatives; count, rows; asked of you; totals.
    with django_assert_max_num_queries(9):
        response = client.get(LOG, {"state": "open"})

    assert response.status_code == 200
    assert len(_rows(response.content.decode())) == size - len(range(0, size, 3)) + 1


@pytest.mark.parametrize("size", [1, 12])
def test_a_request_page_costs_the_same_queries_whatever_its_history(
    client, coo, ops_lead_a, django_assert_max_num_queries, size
):
    request = asked(coo, ops_lead_a)
    for n in range(size):
        request.note = f"Note {n}"  # history rows by other hands (the admin)
        request.save()
    client.force_login(coo)

    # Session, user, the request with its people, its history with who, roles.
    with django_assert_max_num_queries(5):
        response = client.get(detail_url(request))

    assert response.status_code == 200


# --- The ExCo page ---------------------------------------------------------------------------------------


def test_overdue_requests_show_in_the_exco_decisions_section_with_a_link_to_the_log(client, cio, coo, ops_lead_a):
    asked(coo, ops_lead_a, question="Approve the Antwerp pilot budget?", ago=2 * DAY)
    asked(cio, ops_lead_a, question="Not yet due?", ago=HOUR)
    month = timezone.localdate().strftime("%Y-%m")
    client.force_login(cio)

    html = client.get(f"/exco/{month}/").content.decode()

    section = html[html.index('<section id="decisions"') :]
    section = section[: section.index("</section>")]
    assert "2 decisions waiting on an executive" in section
    overdue_row = section[section.index("Approve the Antwerp pilot budget?") :]
    assert "Overdue" in overdue_row[: overdue_row.index("</tr>")]
    not_due_row = section[section.index("Not yet due?") :]
    assert "Overdue" not in not_due_row[: not_due_row.index("</tr>")]
    assert f'href="{reverse("governance:decisions")}" id="decision-log-link"' in section


def test_the_exco_warning_sign_links_each_late_request_to_its_page(client, cio, coo, ops_lead_a):
    late = asked(coo, ops_lead_a, question="Approve the Antwerp pilot budget?", ago=2 * DAY)
    client.force_login(cio)

    response = client.get(f"/exco/{timezone.localdate():%Y-%m}/")

    (sign,) = [s for s in response.context["warnings"] if s.number == 4]
    assert [item["url"] for item in sign.items] == [reverse("governance:decision", args=[late.pk])]
