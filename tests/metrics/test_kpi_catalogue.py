"""The KPI catalogue (/kpis/): every KPI read by everyone signed in, edited by admins through
kpi_save, and the page the ExCo warning signs lead to instead of the Django admin."""

import re
from datetime import date

import pytest
from django.urls import reverse

from metrics.forms import KPIForm
from metrics.models import KPI
from scoreboard.months import latest_complete_month
from tests import factories

pytestmark = pytest.mark.django_db


def _form_data(kpi: KPI, **changes) -> dict:
    """What the edit page sends for ``kpi`` as it is stored, with ``changes``."""
    form = KPIForm(instance=kpi)
    data = {}
    for name in form.fields:
        value = form.initial.get(name)
        if value is None or value is False:
            continue
        data[name] = value.isoformat() if isinstance(value, date) else value
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


@pytest.fixture
def targeted(kpi):
    factories.TargetFactory(kpi=kpi, effective_from=date(2025, 1, 1), target=80, red_threshold=60)
    return kpi


# --- Everyone reads ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["cio", "coo", "ops_lead_a", "admin_user"])
def test_everyone_signed_in_reads_the_list_with_executives_and_target_in_words(client, request, targeted, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get("/kpis/")
    assert response.status_code == 200
    row = response.content.decode()
    row = row[row.index(f'id="kpi-{targeted.code}"') :]
    row = row[: row.index("</tr>")]
    assert targeted.name in row
    assert "Claire Ito (CIO) and Omar Okafor (COO)" in row
    assert "Target ≥ 80.0 % · amber below 80.0 % · red below 60.0 %" in row
    assert "Percent" in row or "%" in row


@pytest.mark.parametrize("persona", ["cio", "ops_lead_a"])
def test_everyone_reads_a_kpi_page_with_targets_initiatives_and_drilldown(
    client, request, targeted, initiative_a, persona
):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(f"/kpis/{targeted.code}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "January 2025" in page  # the target's start, in the targets over time
    assert initiative_a.name in page
    assert reverse("initiatives:detail", args=[initiative_a.code]) in page
    assert reverse("kpi-drilldown", args=[latest_complete_month(), targeted.code]) in page


def test_a_kpi_with_no_such_code_is_a_page_not_found(client, cio):
    client.force_login(cio)
    assert client.get("/kpis/no-such-kpi/").status_code == 404


def test_only_admins_see_the_edit_link(client, cio, admin_user, kpi):
    edit = reverse("kpis:edit", args=[kpi.code])
    client.force_login(cio)
    assert edit not in client.get(f"/kpis/{kpi.code}/").content.decode()
    client.force_login(admin_user)
    assert edit in client.get(f"/kpis/{kpi.code}/").content.decode()


def test_the_nav_has_kpis_for_everyone(client, ops_lead_a):
    client.force_login(ops_lead_a)
    assert f'href="{reverse("kpis:list")}"' in client.get("/kpis/").content.decode()


# --- Admins edit, through kpi_save ----------------------------------------------------------------------


def test_admin_edits_a_kpi_on_its_page_and_the_history_says_who(client, admin_user, kpi):
    client.force_login(admin_user)
    assert client.get(f"/kpis/{kpi.code}/edit/").status_code == 200
    response = client.post(f"/kpis/{kpi.code}/edit/", _form_data(kpi, name="Claims handled straight through"))
    assert response.status_code == 302
    assert response["Location"] == f"/kpis/{kpi.code}/"
    kpi.refresh_from_db()
    assert kpi.name == "Claims handled straight through"
    latest = kpi.history.latest()
    assert latest.history_user == admin_user
    assert "name" in latest.history_change_reason


def test_saving_an_unchanged_kpi_writes_no_history(client, admin_user, kpi):
    client.force_login(admin_user)
    before = kpi.history.count()
    assert client.post(f"/kpis/{kpi.code}/edit/", _form_data(kpi)).status_code == 302
    assert kpi.history.count() == before


@pytest.mark.parametrize("persona", ["cio", "coo", "ops_lead_a"])
def test_others_are_refused_the_edit_with_nothing_stored(client, request, kpi, persona):
    client.force_login(request.getfixturevalue(persona))
    before = (kpi.history.count(), KPI.objects.get(pk=kpi.pk).name)
    data = _form_data(kpi, name="Renamed by someone who may not")
    for response in (client.get(f"/kpis/{kpi.code}/edit/"), client.post(f"/kpis/{kpi.code}/edit/", data)):
        assert response.status_code == 403
        assert "Only admins keep the KPI definitions" in response.content.decode()
        assert "<form" not in response.content.decode().split("Sign out")[-1]
    assert (kpi.history.count(), KPI.objects.get(pk=kpi.pk).name) == before


def test_a_bad_edit_names_the_field_and_stores_nothing(client, admin_user, ops_lead_a, kpi):
    client.force_login(admin_user)
    before = kpi.history.count()
    response = client.post(f"/kpis/{kpi.code}/edit/", _form_data(kpi, co_accountable_executive=ops_lead_a.pk))
    assert response.status_code == 400
    page = response.content.decode()
    field = page[page.index('name="co_accountable_executive"') :]
    field = field[: field.index("</div>")]
    assert "is not an active executive" in field
    assert "Nothing was saved" in page
    kpi.refresh_from_db()
    assert kpi.co_accountable_executive.username == "coo"
    assert kpi.history.count() == before


# --- The ExCo page leads to the catalogue, not the admin ----------------------------------------------------


def test_the_only_one_accountable_warning_links_to_the_kpi_page_for_an_executive(client, cio):
    lonely = factories.KPIFactory(name="Talent retention", accountable_executive=cio, co_accountable_executive=None)
    client.force_login(cio)
    page = client.get(reverse("exco-month", args=[date(2026, 3, 1)])).content.decode()
    warning = re.search(r'<a href="([^"]+)">Talent retention: only Claire Ito \(CIO\) is accountable</a>', page)
    assert warning is not None
    assert warning.group(1) == f"/kpis/{lonely.code}/"
    assert "/admin/" not in page


def test_the_primary_kpi_warnings_link_to_its_page_not_the_admin(client, coo, kpi):
    kpi.is_primary = True
    kpi.save()
    client.force_login(coo)
    page = client.get(reverse("exco-month", args=[date(2026, 3, 1)])).content.decode()
    assert f'href="/kpis/{kpi.code}/"' in page
    assert "/admin/" not in page


# --- The list costs a fixed number of queries -------------------------------------------------------------


@pytest.mark.parametrize("count", [5, 30])
def test_the_list_costs_the_same_queries_for_5_and_30_kpis(client, cio, coo, count, django_assert_max_num_queries):
    for _ in range(count):
        made = factories.KPIFactory(accountable_executive=cio, co_accountable_executive=coo)
        factories.TargetFactory(kpi=made)
    client.force_login(cio)
    # 5: the session, the user and their roles, the KPIs with their executives, their company-wide targets.
    with django_assert_max_num_queries(5):
        response = client.get("/kpis/")
    assert response.status_code == 200
    assert response.content.decode().count('<tr id="kpi-') == count
