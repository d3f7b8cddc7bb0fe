"""Hostile query strings on every page that reads one (issue 15): the lists' filters (initiatives,
the decision log, the registers), the month picker, the drill-downs, the workspace, the matrix's
version picker and comparison, and every admin list with its filters and date drill-down. Drawn
by Hypothesis; a page answers below 500 whatever it is sent, and a parameter holding text no one
types is a 400 naming it."""

import pytest
from django.contrib import admin
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tests import factories
from tests import hostile as h

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages(admin_user, initiative_a, kpi):
    """Each page that reads a query string, with the parameters it reads, and a row or two to list."""
    factories.MeasurementFactory(kpi=kpi, initiative=initiative_a)
    factories.MatrixVersionFactory()
    upload = factories.CsvImportFactory(initiative=initiative_a, uploaded_by=admin_user)
    return {
        "/initiatives/": ["stage", "owner", "business_unit", "sort", "page"],
        "/governance/decisions/": ["executive", "initiative", "state", "page"],
        "/governance/decisions/ask/": ["executive", "initiative"],
        "/governance/shadow-ai/": ["status", "sensitivity", "page"],
        "/governance/risks/": ["category", "status", "initiative", "page"],
        "/governance/matrix/": ["version"],
        "/governance/matrix/compare/": ["old", "new"],
        "/governance/matrix/history/": ["page"],
        "/exco/": ["month"],
        f"/exco/2026-01/kpi/{kpi.code}/": ["initiative", "page"],
        "/my/": ["page"],
        f"/my/{initiative_a.code}/": ["kpi", "period", "value", "note"],
        f"/my/csv/{upload.uuid}/": ["only", "page"],
    }


def _admin_lists() -> dict[str, list[str]]:
    lists = {}
    for model, model_admin in admin.site._registry.items():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        names = ["q", "p", "o"] + [f for f in model_admin.list_filter or () if isinstance(f, str)]
        if model_admin.date_hierarchy:
            names += [f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day")]
        lists[url] = names
    return lists


def _get(client, path: str, name: str, text: str):
    return client.get(f"{path}?{h.query_value(name)}={h.query_value(text)}")


def test_every_page_in_the_table_answers_its_plain_self(client, admin_user, pages):
    client.force_login(admin_user)

    for path in pages:
        assert client.get(path).status_code in (200, 302), path


def test_any_hostile_parameter_of_a_page_is_answered_below_500(client, admin_user, pages):
    client.force_login(admin_user)
    cases = [(path, name) for path, names in pages.items() for name in names]

    @h.budget(150)
    @given(case=st.sampled_from(cases), text=h.hostile_query_text)
    def check(case, text):
        path, name = case
        response = _get(client, path, name, text)
        assert response.status_code < 500, (path, name, response.status_code)

    check()


def test_text_no_one_types_in_a_pages_parameter_is_a_400_naming_it(client, admin_user, pages):
    client.force_login(admin_user)
    cases = [(path, name) for path, names in pages.items() for name in names]

    @h.budget(30)
    @given(case=st.sampled_from(cases), text=st.one_of(h.with_nul, h.with_control))
    def check(case, text):
        path, name = case
        response = _get(client, path, name, text)
        assert response.status_code == 400, (path, name, response.status_code)
        assert name in response.content.decode()

    check()


def test_any_hostile_parameter_of_an_admin_list_is_answered_below_500(client, admin_user):
    client.force_login(admin_user)
    cases = [(path, name) for path, names in _admin_lists().items() for name in names]

    @h.budget(150)
    @given(
        case=st.sampled_from(cases),
        text=st.one_of(h.hostile_query_text, st.integers(10**18, 10**40).map(str), st.just("١٢")),
    )
    def check(case, text):
        path, name = case
        response = _get(client, path, name, text)
        assert response.status_code < 500, (path, name, response.status_code)

    check()


# --- What the suite found: each a 500 before --------------------------------------------------------------


def test_a_nul_in_the_drilldowns_initiative_is_a_400_naming_it(client, admin_user, kpi):
    client.force_login(admin_user)

    response = client.get(f"/exco/2026-01/kpi/{kpi.code}/", {"initiative": "a\x00b"})

    assert response.status_code == 400
    assert "initiative" in response.content.decode()


@pytest.mark.parametrize("path", ["/admin/metrics/kpi/?unit=%00", "/admin/metrics/measurement/?source__kind=%00"])
def test_a_nul_in_an_admin_lists_filter_is_a_400(client, admin_user, path):
    client.force_login(admin_user)

    assert client.get(path).status_code == 400


def test_a_year_no_calendar_has_in_an_admin_drilldown_is_a_400(client, admin_user):
    client.force_login(admin_user)

    response = client.get("/admin/metrics/measurement/", {"observed_at__year": "9" * 30})

    assert response.status_code == 400
    assert "observed_at__year" in response.content.decode()


@pytest.mark.parametrize("version", ["-1", "1_0", "١", " 1e3"])
def test_a_matrix_version_that_is_no_number_is_a_400(client, admin_user, version):
    client.force_login(admin_user)

    response = client.get("/governance/matrix/", {"version": version})

    assert response.status_code == 400  # "-1" was a 500 (no URL for it); "1_0" read as 10


@pytest.mark.parametrize("month", ["2_026-01", "٢٠٢٦-٠١", "+2026-01", "2026-1"])
def test_a_month_not_written_in_plain_digits_is_refused_in_words(client, admin_user, month):
    client.force_login(admin_user)

    response = client.get("/exco/", {"month": month}, follow=True)

    assert "choose a month written as YYYY-MM" in response.content.decode()
