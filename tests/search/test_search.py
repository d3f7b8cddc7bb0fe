"""The header's search: each kind found by its words, grouped and linked, ranked on PostgreSQL, paged
one kind at a time, empty and hostile boxes answered with words, the rules obeyed, and a query
count that does not grow with the data."""

import re

import pytest
import rules
from django.db import connection

from governance.models import MatrixVersion
from scoreboard import rules as scoreboard_rules
from scoreboard.search import selectors
from tests import factories

from .helpers import KIND_SLUGS, SEARCH, in_force_matrix, one_of_each

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="ranking is PostgreSQL's full-text search")


def _group(html: str, slug: str) -> str:
    start = html.index(f'id="group-{slug}"')
    return html[start : html.index("</section>", start)]


@pytest.fixture
def matrix(admin_user, coo):
    return in_force_matrix(admin_user, coo)


def test_search_finds_each_kind_by_a_word_in_it_and_links_each_to_its_page(client, cio, coo, admin_user, matrix):
    rows = one_of_each("hailstorm", cio=cio, coo=coo, admin=admin_user, version=matrix)
    one_of_each("flood", cio=cio, coo=coo, admin=admin_user, version=matrix, n=1)
    client.force_login(cio)

    html = client.get(SEARCH, {"q": "hailstorm"}).content.decode()

    links = {
        "initiatives": f'href="/initiatives/{rows["initiatives"].code}/"',
        "kpis": f'href="/kpis/{rows["kpis"].code}/"',
        "matrix": f'href="/governance/matrix/?process=Claims#decision-{rows["matrix"].pk}"',
        "decisions": f'href="/governance/decisions/{rows["decisions"].pk}/"',
        "risks": f'href="/governance/risks/?category=privacy#risk-{rows["risks"].pk}"',
        "shadow-ai": (
            f'href="/governance/shadow-ai/?status=under_review&amp;sensitivity=internal#tool-{rows["shadow-ai"].pk}"'
        ),
    }
    for slug in KIND_SLUGS:
        group = _group(html, slug)
        assert "· 1 found" in group, slug
        assert links[slug] in group, slug
        assert " 1</a>" not in group  # the row holding the other word ("… 1") is not found


def test_search_groups_the_results_by_kind_in_a_fixed_order(client, cio, coo, admin_user, matrix):
    one_of_each("hailstorm", cio=cio, coo=coo, admin=admin_user, version=matrix)
    client.force_login(cio)

    html = client.get(SEARCH, {"q": "hailstorm"}).content.decode()

    headings = re.findall(r"<h2>([^<]+) <span", html)
    assert headings == ["Initiatives", "KPIs", "Matrix decisions", "Decision requests", "Risks", "Shadow-AI tools"]


def test_search_says_which_kinds_found_nothing(client, cio, coo, admin_user, matrix):
    factories.RiskFactory(title="Hailstorm damage misread", technology_owner=cio, operations_owner=coo)
    client.force_login(cio)

    html = client.get(SEARCH, {"q": "hailstorm"}).content.decode()

    assert "· 1 found" in _group(html, "risks")
    assert "No KPIs match “hailstorm”." in _group(html, "kpis")


def test_search_reads_only_the_matrix_version_in_force_and_names_it(client, cio, coo, admin_user, matrix):
    factories.MatrixDecisionFactory(version=matrix, decision="Pay a hailstorm claim")
    draft = MatrixVersion.objects.create(number=2, created_by=admin_user)
    factories.MatrixDecisionFactory(version=draft, decision="Pay a hailstorm claim in the draft")
    client.force_login(cio)

    group = _group(client.get(SEARCH, {"q": "hailstorm"}).content.decode(), "matrix")

    assert "· 1 found" in group
    assert "matrix v1, in force" in group
    assert "in the draft" not in group


def test_search_before_any_matrix_is_in_force_finds_no_matrix_decision(client, cio, admin_user):
    draft = MatrixVersion.objects.create(number=1, created_by=admin_user)
    factories.MatrixDecisionFactory(version=draft, decision="Pay a hailstorm claim")
    client.force_login(cio)

    group = _group(client.get(SEARCH, {"q": "hailstorm"}).content.decode(), "matrix")

    assert "· 0 found" in group


@on_postgresql
def test_search_ranks_a_match_in_the_name_above_one_in_the_description(client, cio, coo):
    factories.InitiativeFactory(
        name="Aardvark routing",
        technology_owner=cio,
        operations_owner=coo,
        technology_owner_description="Routes hailstorm claims to the right handler.",
    )
    factories.InitiativeFactory(name="Zebra hailstorm triage", technology_owner=cio, operations_owner=coo)
    client.force_login(cio)

    group = _group(client.get(SEARCH, {"q": "hailstorm"}).content.decode(), "initiatives")

    # By name the Aardvark would come first; by rank the name's match wins.
    assert group.index("Zebra hailstorm triage") < group.index("Aardvark routing")


@on_postgresql
def test_search_understands_stems_and_phrases_on_postgresql(client, cio, coo):
    factories.RiskFactory(title="Storms flood the intake", technology_owner=cio, operations_owner=coo)
    factories.RiskFactory(title="The intake floods the storms", technology_owner=cio, operations_owner=coo)
    client.force_login(cio)

    stemmed = _group(client.get(SEARCH, {"q": "flooding"}).content.decode(), "risks")
    phrase = _group(client.get(SEARCH, {"q": '"flood the intake"'}).content.decode(), "risks")
    excluded = _group(client.get(SEARCH, {"q": "intake -storms"}).content.decode(), "risks")

    assert "· 2 found" in stemmed
    assert "· 1 found" in phrase
    assert "Storms flood the intake" in phrase
    assert "· 0 found" in excluded


def test_search_shows_ten_of_a_kind_and_links_to_all_of_them(client, cio, coo):
    for n in range(12):
        factories.RiskFactory(title=f"Hailstorm risk {n:02}", technology_owner=cio, operations_owner=coo)
    client.force_login(cio)

    group = _group(client.get(SEARCH, {"q": "hailstorm"}).content.decode(), "risks")

    assert "· 12 found" in group
    assert group.count("<li>") == selectors.SHOWN_PER_KIND
    assert 'href="/search/?q=hailstorm&amp;kind=risks"' in group


def test_search_pages_one_kind(client, cio, coo):
    for n in range(selectors.PAGE_SIZE + 5):
        factories.RiskFactory(title=f"Hailstorm risk {n:02}", technology_owner=cio, operations_owner=coo)
    client.force_login(cio)

    first = client.get(SEARCH, {"q": "hailstorm", "kind": "risks"}).content.decode()
    second = client.get(SEARCH, {"q": "hailstorm", "kind": "risks", "page": "2"}).content.decode()

    assert first.count("<li>") == selectors.PAGE_SIZE
    assert "30 found, 1–25 shown" in first
    assert 'href="?q=hailstorm&amp;kind=risks&amp;page=2"' in first
    assert second.count("<li>") == 5
    assert "30 found, 26–30 shown" in second
    assert 'id="group-kpis"' not in first  # one kind only


def test_search_with_an_empty_box_says_what_to_type_and_reads_no_data(
    client, cio, initiative_a, django_assert_max_num_queries
):
    client.force_login(cio)

    for q in ("", "   "):
        # The session, the user with their roles: nothing of the scoreboard's data.
        with django_assert_max_num_queries(2):
            response = client.get(SEARCH, {"q": q})

        assert response.status_code == 200
        html = response.content.decode()
        assert "Type a few words to find" in html
        assert initiative_a.name not in html


@pytest.mark.parametrize("q", ['"hailstorm"', "hailstorm!", "(hailstorm)", "HAILSTORM"])
def test_search_finds_a_word_among_quotes_punctuation_or_capitals(client, cio, coo, q):
    factories.RiskFactory(title="Hailstorm damage misread", technology_owner=cio, operations_owner=coo)
    client.force_login(cio)

    group = _group(client.get(SEARCH, {"q": q}).content.decode(), "risks")

    assert "· 1 found" in group


@pytest.mark.parametrize("q", ["!!!", "&|:*()", "'", '"', "-", "<script>alert(1)</script>", "%_\\"])
def test_search_with_only_punctuation_or_operators_answers_without_error(client, cio, coo, q):
    factories.RiskFactory(title="Hailstorm damage misread", technology_owner=cio, operations_owner=coo)
    client.force_login(cio)

    response = client.get(SEARCH, {"q": q})

    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert "· 0 found" in _group(response.content.decode(), "risks")


def test_search_refuses_an_over_long_box_with_a_message_and_reads_no_data(
    client, cio, initiative_a, django_assert_max_num_queries
):
    client.force_login(cio)

    # The session, the user with their roles: nothing of the scoreboard's data.
    with django_assert_max_num_queries(2):
        response = client.get(SEARCH, {"q": "claims " * 40})

    assert response.status_code == 400
    html = response.content.decode()
    assert f"Search for at most {selectors.MAX_QUERY_LENGTH} characters" in html
    assert 'id="group-initiatives"' not in html


def test_search_box_holding_a_nul_is_refused_by_the_query_guard(client, cio):
    client.force_login(cio)

    response = client.get(SEARCH, {"q": "claims\x00"})

    assert response.status_code == 400
    assert "q: This parameter" in response.content.decode()


def test_search_refuses_a_kind_that_does_not_exist(client, cio):
    client.force_login(cio)

    response = client.get(SEARCH, {"q": "claims", "kind": "salaries"})

    assert response.status_code == 400
    assert "“salaries” is not a kind of result" in response.content.decode()


def test_signed_out_search_is_sent_to_the_login_page(client):
    response = client.get(SEARCH, {"q": "claims"})

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/search/")


@pytest.fixture
def risks_for_admins_only():
    """The risk register read by admins only, for the length of a test (today everyone signed in reads it)."""
    rules.set_perm("governance.view_risk", scoreboard_rules.is_admin)
    yield
    rules.set_perm("governance.view_risk", scoreboard_rules.is_signed_in)


@pytest.mark.usefixtures("risks_for_admins_only")
def test_search_leaves_out_a_kind_the_viewer_may_not_read(client, cio, coo):
    factories.RiskFactory(title="Hailstorm damage misread", technology_owner=cio, operations_owner=coo)
    factories.ShadowAIToolFactory(tool="Hailstorm translator")
    client.force_login(cio)

    html = client.get(SEARCH, {"q": "hailstorm"}).content.decode()
    listed = client.get(SEARCH, {"q": "hailstorm", "kind": "risks"})

    assert 'id="group-risks"' not in html
    assert "Hailstorm damage misread" not in html
    assert "Hailstorm translator" in html
    assert listed.status_code == 403
    assert "Hailstorm damage misread" not in listed.content.decode()


@pytest.mark.parametrize("persona", ["cio", "coo", "ops_lead_a", "admin_user"])
def test_every_persona_reads_every_kind_in_search(request, client, persona, cio, coo, admin_user, matrix):
    one_of_each("hailstorm", cio=cio, coo=coo, admin=admin_user, version=matrix)
    client.force_login(request.getfixturevalue(persona))

    html = client.get(SEARCH, {"q": "hailstorm"}).content.decode()

    for slug in KIND_SLUGS:
        assert "· 1 found" in _group(html, slug), slug


def test_header_search_box_is_on_every_signed_in_page_and_keeps_the_words(client, cio):
    client.force_login(cio)

    initiatives = client.get("/initiatives/").content.decode()
    results = client.get(SEARCH, {"q": "claims triage"}).content.decode()

    assert '<form role="search" method="get" action="/search/"' in initiatives
    assert '<label for="header-q"' in initiatives
    assert 'name="q" id="header-q" value="claims triage"' in results


@pytest.mark.parametrize("count", [1, 30])
def test_search_costs_the_same_queries_whatever_the_number_of_rows(
    client, cio, coo, admin_user, matrix, django_assert_max_num_queries, count
):
    for n in range(count):
        one_of_each("hailstorm", cio=cio, coo=coo, admin=admin_user, version=matrix, n=n)
    client.force_login(cio)

    # The session, the user with their roles, then one query per kind (its rows and its count together):
    # 8, under the page's budget of 12.
    with django_assert_max_num_queries(8):
        response = client.get(SEARCH, {"q": "hailstorm"})

    assert response.status_code == 200
    assert f"· {count} found" in _group(response.content.decode(), "decisions")


@pytest.mark.parametrize("count", [1, 30])
def test_one_kind_paged_costs_the_same_queries_whatever_the_number_of_rows(
    client, cio, coo, admin_user, matrix, django_assert_max_num_queries, count
):
    for n in range(count):
        one_of_each("hailstorm", cio=cio, coo=coo, admin=admin_user, version=matrix, n=n)
    client.force_login(cio)

    # The session, the user with their roles, the count, the page's rows.
    with django_assert_max_num_queries(4):
        response = client.get(SEARCH, {"q": "hailstorm", "kind": "matrix", "page": "2"})

    assert response.status_code == 200
