"""Every page that shows an object shows its history to whoever may read the page: who, when, what
changed from what to what (in the page's words: labels, names, formatted figures) and why. A save
that changes nothing adds no entry; the section costs a fixed number of queries whatever the
length of the history; and nobody who may not use the admin is sent there."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape

from governance.models import AutonomyTier, GateKind, Risk
from governance.services import matrix as matrix_services
from governance.services import registers as register_services
from governance.services.shadow_ai import shadow_ai_tool_save
from initiatives.services.brief import brief_save
from initiatives.services.initiatives import initiative_update
from initiatives.services.workflow import workflow_change_save
from metrics.services.kpis import kpi_save, target_save
from scoreboard.history import RECENT
from scoreboard.writes import Row
from tests import factories
from tests.governance.matrix_helpers import decision, published

pytestmark = pytest.mark.django_db

READERS = ["cio", "ops_lead_b"]  # an executive, and an ops lead who does not lead the initiative


def _history(html: str, marker: str = 'id="history"') -> str:
    """The page's history section."""
    start = html.index(marker)
    return html[start : html.index("</section>", start)]


def _entries(html: str) -> int:
    return _history(html).count('class="history-entry')


def _change(label: str, before: str, after: str) -> str:
    return f'<span class="label">{escape(label)}</span>: {escape(before)} → <strong>{escape(after)}</strong>'


def _section_as(client, user, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return _history(response.content.decode())


def _initiative_url(initiative) -> str:
    return reverse("initiatives:detail", args=[initiative.code])


# --- Initiatives, their workflow change and brief --------------------------------------------------------------


@pytest.mark.parametrize("reader", READERS)
def test_an_initiative_change_shows_who_what_from_what_to_what_and_why(
    client, request, reader, initiative_a, ops_lead_a
):
    initiative_update(initiative=initiative_a, by=ops_lead_a, data={"name": "Claims triage v2"}, read_at=None)

    section = _section_as(client, request.getfixturevalue(reader), _initiative_url(initiative_a))

    first = section[section.index('class="history-entry') :]
    assert escape(str(ops_lead_a)) in first[: first.index("</tr>")]
    assert _change("Name", initiative_a.name, "Claims triage v2") in section
    assert "Edited: name" in section


def test_an_owner_changed_reads_as_names_not_ids(client, initiative_a, admin_user, cio, ceo, ops_lead_b):
    initiative_update(initiative=initiative_a, by=admin_user, data={"technology_owner": ceo}, read_at=None)

    section = _section_as(client, ops_lead_b, _initiative_url(initiative_a))

    assert _change("Technology owner", str(cio), str(ceo)) in section
    assert f"#{ceo.pk}" not in section
    assert f": {cio.pk} →" not in section


def test_ops_leads_added_read_as_their_names(client, initiative_a, admin_user, ops_lead_a, ops_lead_b, cio):
    initiative_update(
        initiative=initiative_a, by=admin_user, data={"ops_leads": [ops_lead_a, ops_lead_b]}, read_at=None
    )

    section = _section_as(client, cio, _initiative_url(initiative_a))

    assert _change("Ops leads", str(ops_lead_a), f"{ops_lead_a}, {ops_lead_b}") in section


def test_a_save_that_changes_nothing_adds_no_entry(client, initiative_a, ops_lead_a, cio):
    initiative_update(initiative=initiative_a, by=ops_lead_a, data={"name": "Renamed once"}, read_at=None)
    client.force_login(cio)
    before = _entries(client.get(_initiative_url(initiative_a)).content.decode())

    initiative_update(initiative=initiative_a, by=ops_lead_a, data={"name": "Renamed once"}, read_at=None)

    after = _entries(client.get(_initiative_url(initiative_a)).content.decode())
    assert after == before
    assert before >= 2  # created, and renamed: the count is of real entries


def test_a_history_row_of_bookkeeping_only_is_not_an_entry(client, initiative_a, ops_lead_a, cio):
    initiative_update(initiative=initiative_a, by=ops_lead_a, data={"name": "Renamed once"}, read_at=None)
    client.force_login(cio)
    before = _entries(client.get(_initiative_url(initiative_a)).content.decode())
    # A save from before saves that change nothing stopped writing rows: only its stamps differ.
    initiative_a.refresh_from_db()
    initiative_a._change_reason = "Saved again"
    initiative_a.save()

    page = client.get(_initiative_url(initiative_a)).content.decode()

    assert _entries(page) == before
    assert "Saved again" not in _history(page)


def _steps(name: str, step_id: int | None = None, order: int = 1) -> list[Row]:
    values = {"phase": "before", "order": order, "name": name, "treatment": "replaced", "performed_by": "Handler"}
    return [Row("before-0", step_id, values)]


@pytest.mark.parametrize("reader", READERS)
def test_a_workflow_change_and_its_steps_show_on_the_initiatives_page(
    client, request, reader, initiative_a, ops_lead_a, kpi
):
    workflow = workflow_change_save(
        initiative=initiative_a,
        by=ops_lead_a,
        process_name="Claims intake",
        summary="",
        adoption_target_percent=Decimal("60"),
        steps=_steps("Read the claim"),
    )
    step = workflow.steps.get()
    workflow_change_save(
        initiative=initiative_a,
        by=ops_lead_a,
        process_name="Claims intake",
        summary="",
        adoption_target_percent=Decimal("75"),
        adoption_kpi=kpi,
        steps=_steps("Read the claim form", step.pk),
    )

    section = _section_as(client, request.getfixturevalue(reader), _initiative_url(initiative_a))

    assert _change("Adoption target percent", "60.0 %", "75.0 %") in section
    assert _change("Adoption KPI", "—", kpi.name) in section
    assert "Before step 1: “Read the claim form”" in section
    assert _change("Step", "Read the claim", "Read the claim form") in section
    assert "Workflow change edited" in section
    assert "Workflow change described" in section


@pytest.mark.parametrize("reader", READERS)
def test_a_brief_revised_shows_its_figures_as_money(client, request, reader, initiative_a, ops_lead_a):
    content = {
        "scope": "Claims under €5k.",
        "investment": Decimal("100000"),
        "governance": "Monthly.",
        "timeline": "Q3",
    }
    brief_save(initiative=initiative_a, by=ops_lead_a, data=content)
    brief_save(initiative=initiative_a, by=ops_lead_a, data={**content, "investment": Decimal("120000")})

    section = _section_as(client, request.getfixturevalue(reader), _initiative_url(initiative_a))

    assert "Deployment brief" in section
    assert _change("Investment", "€100,000", "€120,000") in section


def test_the_page_shows_the_latest_changes_and_links_to_all_of_them(client, initiative_a, ops_lead_a, ops_lead_b):
    for n in range(RECENT + 5):
        initiative_update(initiative=initiative_a, by=ops_lead_a, data={"name": f"Name {n}"}, read_at=None)
    client.force_login(ops_lead_b)

    page = client.get(_initiative_url(initiative_a)).content.decode()
    full = client.get(reverse("initiatives:history", args=[initiative_a.code]))

    assert _entries(page) == RECENT
    assert f'href="{reverse("initiatives:history", args=[initiative_a.code])}"' in _history(page)
    assert _change("Name", "Name 13", "Name 14") in _history(page)
    assert _change("Name", "Name 3", "Name 4") not in _history(page)
    assert full.status_code == 200
    full_html = full.content.decode()
    assert _entries(full_html) > RECENT + 5  # every rename, and the initiative's creation
    assert _change("Name", "Name 3", "Name 4") in full_html


def test_the_full_history_is_paged(client, initiative_a, ops_lead_a, cio):
    for n in range(55):
        initiative_update(initiative=initiative_a, by=ops_lead_a, data={"name": f"Name {n}"}, read_at=None)
    client.force_login(cio)
    url = reverse("initiatives:history", args=[initiative_a.code])

    first, second = client.get(url).content.decode(), client.get(url, {"page": 2}).content.decode()

    assert _entries(first) == 50
    assert "Page 1 of 2" in first
    assert _entries(second) >= 6
    assert "Created" in second


def test_someone_signed_out_is_sent_to_sign_in_for_a_history(client, initiative_a):
    response = client.get(reverse("initiatives:history", args=[initiative_a.code]))

    assert response.status_code == 302
    assert "/login/" in response["Location"]


# --- KPIs and their targets ----------------------------------------------------------------------------


@pytest.mark.parametrize("reader", READERS)
def test_a_kpi_page_shows_its_definition_and_targets_changes(client, request, reader, kpi, admin_user, initiative_a):
    old_name = kpi.name
    kpi_save(by=admin_user, kpi=kpi, data={"name": "Straight-through rate", "is_primary": True})
    target = target_save(
        by=admin_user,
        data={"kpi": kpi, "initiative": None, "effective_from": date(2026, 1, 1), "target": 80, "red_threshold": 60},
    )
    target_save(by=admin_user, target=target, data={"target": Decimal("85"), "initiative": initiative_a})

    section = _section_as(client, request.getfixturevalue(reader), reverse("kpis:detail", args=[kpi.code]))

    assert _change("Name", old_name, "Straight-through rate") in section
    assert _change("Is primary", "No", "Yes") in section
    assert _change("Target", "80.0 %", "85.0 %") in section
    assert _change("For", "—", initiative_a.name) in section
    assert f"Target from January 2026 for {escape(initiative_a.name)}" in section
    assert escape(str(admin_user)) in section


# --- The registers -------------------------------------------------------------------------------------


def _risk_data(cio, coo, **fields) -> dict:
    return {
        "title": "Prompt injection",
        "category": "cyber",
        "description": "",
        "preventive_measures": "Strip quoted instructions.",
        "responsive_measures": "Switch to manual.",
        "technology_owner": cio,
        "operations_owner": coo,
        "likelihood": 3,
        "impact": 4,
        "status": "open",
        **fields,
    }


@pytest.mark.parametrize("reader", ["coo", "ops_lead_a"])
def test_the_risk_register_shows_who_changed_a_risk_and_why(
    client, request, reader, admin_user, cio, coo, initiative_a
):
    risk = register_services.risk_save(by=admin_user, data=_risk_data(cio, coo), initiatives=[])
    register_services.risk_save(
        by=admin_user,
        risk=risk,
        data=_risk_data(cio, coo, status="mitigated", likelihood=2),
        initiatives=[initiative_a],
    )

    section = _section_as(client, request.getfixturevalue(reader), reverse("governance:risks"))

    assert "Risk “Prompt injection”" in section
    assert _change("Status", "Open", "Mitigated") in section
    assert _change("Likelihood", "3", "2") in section
    assert _change("Initiatives", "—", initiative_a.name) in section
    assert escape(str(admin_user)) in section
    assert escape(Risk.history.latest().history_change_reason) in section


def test_a_shadow_ai_tool_promoted_reads_as_the_initiatives_name(client, admin_user, initiative_a, ops_lead_a):
    data = {
        "tool": "Free translator",
        "team": "Claims desk",
        "use": "Translating reports.",
        "why_it_helps": "No week-long wait.",
        "data_sensitivity": "restricted",
        "status": "under_review",
        "discovered_on": date(2026, 1, 15),
        "promoted_to": None,
    }
    tool = shadow_ai_tool_save(by=admin_user, data=data)
    shadow_ai_tool_save(by=admin_user, tool=tool, data={**data, "status": "adopted", "promoted_to": initiative_a})

    section = _section_as(client, ops_lead_a, reverse("governance:shadow-ai"))

    assert "“Free translator” (Claims desk)" in section
    assert _change("Status", "Under review", "Adopted") in section
    assert _change("Promoted to", "—", initiative_a.name) in section


def test_a_shared_zone_input_shows_who_gave_it(client, admin_user, ceo, ops_lead_a):
    decision_ = register_services.shared_zone_decision_save(
        by=admin_user, data={"topic": "timeline", "title": "Go-live window", "initiative": None}
    )
    register_services.shared_zone_input_give(decision=decision_, by=ceo, side="ceo", text="After the audit.")

    section = _section_as(client, ops_lead_a, reverse("governance:shared-zone"))

    assert _change("CEO's input", "—", "After the audit.") in section
    assert escape(str(ceo)) in section


def test_each_registers_full_history_is_readable_by_an_ops_lead(client, admin_user, cio, coo, ops_lead_a):
    register_services.risk_save(by=admin_user, data=_risk_data(cio, coo), initiatives=[])
    client.force_login(ops_lead_a)

    for name in ("governance:risks-history", "governance:shadow-ai-history", "governance:shared-zone-history"):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
    assert "Risk “Prompt injection”" in client.get(reverse("governance:risks-history")).content.decode()


# --- A matrix version -----------------------------------------------------------------------------------


@pytest.mark.parametrize("reader", READERS)
def test_a_matrix_versions_page_shows_its_decisions_changes(client, request, reader, admin_user, coo):
    v1 = published(admin_user, coo)
    decision(v1, autonomy_tier=AutonomyTier.AI_NOTIFIES)
    draft = matrix_services.matrix_draft_open(by=admin_user, reason="Raise the bar")
    matrix_services.matrix_decision_save(
        by=admin_user, decision=draft.decisions.get(), data={"autonomy_tier": AutonomyTier.HUMAN_APPROVES}
    )

    url = reverse("governance:matrix-version", args=[draft.number])
    section = _section_as(client, request.getfixturevalue(reader), url)

    assert _change("Autonomy tier", AutonomyTier.AI_NOTIFIES.label, AutonomyTier.HUMAN_APPROVES.label) in section
    assert "Changed autonomy tier" in section
    assert "Draft opened from v1" in section
    assert f'href="{reverse("governance:matrix-history")}"' in section
    # The version shown, not another: v1's own changes stay on v1's page.
    assert "The matrix the COO" not in section


# --- A fixed number of queries ----------------------------------------------------------------------------


def _busy_initiative(initiative, size: int, *, by, kpi, admin_user) -> None:
    """An initiative whose history has every part its page shows, ``size`` times over."""
    for n in range(size):
        initiative_update(initiative=initiative, by=by, data={"name": f"Name {n}"}, read_at=None)
        workflow_change_save(
            initiative=initiative,
            by=by,
            process_name="Claims intake",
            summary=f"Round {n}",
            adoption_target_percent=Decimal(50 + n),
            steps=_steps(f"Step {n}", order=n + 1),  # new rows each round: the last round's are deleted
            roles=[Row("roles-0", None, {"role": f"Role {n}", "headcount": 3, "reskilling": ""})],
        )
        content = {"scope": f"Scope {n}", "investment": Decimal(1000 + n), "governance": "G", "timeline": "T"}
        brief_save(initiative=initiative, by=by, data=content)
        factories.MilestoneFactory(initiative=initiative)
        factories.BacklogItemFactory(initiative=initiative)
    factories.GovernanceGateFactory(initiative=initiative, kind=GateKind.TESTING)
    initiative_update(initiative=initiative, by=admin_user, data={"ops_leads": [by], "kpis": [kpi]}, read_at=None)


@pytest.mark.parametrize("size", [1, 12])
def test_the_initiative_history_section_costs_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, size, initiative_a, ops_lead_a, admin_user, kpi, cio
):
    from initiatives import selectors

    _busy_initiative(initiative_a, size, by=ops_lead_a, kpi=kpi, admin_user=admin_user)
    # The latest changes, then per part shown its records: the initiative (with its ops leads and
    # KPIs: 3), workflow change, steps, roles, brief, milestones, backlog, gates.
    with django_assert_max_num_queries(12):
        recent = selectors.initiative_history(initiative_a)
    assert {entry.kind for entry in recent.entries} >= {"initiative", "workflowstep", "affectedrole", "governancegate"}

    client.force_login(cio)
    # The whole page: its own (tests/initiatives/test_initiative_detail.py counts them) and the section's.
    with django_assert_max_num_queries(28):
        assert client.get(_initiative_url(initiative_a)).status_code == 200


@pytest.mark.parametrize("size", [1, 20])
def test_the_kpi_page_costs_a_fixed_number_of_queries_whatever_its_history(
    client, django_assert_max_num_queries, size, kpi, admin_user, coo
):
    for n in range(size):
        kpi_save(by=admin_user, kpi=kpi, data={"name": f"KPI name {n}"})
        target_save(
            by=admin_user,
            data={
                "kpi": kpi,
                "initiative": None,
                "effective_from": date(2020 + n // 12, 1 + n % 12, 1),
                "target": 80,
                "red_threshold": 60,
            },
        )
    client.force_login(coo)
    # Session, user, roles, the KPI with its executives, its targets (two), the initiatives that
    # report it; its history: the latest changes, the KPI's records, its targets' records.
    with django_assert_max_num_queries(10):
        response = client.get(reverse("kpis:detail", args=[kpi.code]))
    assert response.status_code == 200
    assert _entries(response.content.decode()) == min(RECENT, 2 * size + 1)


@pytest.mark.parametrize("size", [2, 25])
def test_a_full_history_page_costs_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, size, admin_user, cio, coo, initiative_a
):
    for n in range(size):
        risk = register_services.risk_save(by=admin_user, data=_risk_data(cio, coo, title=f"Risk {n}"), initiatives=[])
        register_services.risk_save(
            by=admin_user, risk=risk, data=_risk_data(cio, coo, title=f"Risk {n}", impact=5), initiatives=[initiative_a]
        )
    client.force_login(cio)
    # Session, user, roles; the rows counted and read, the risks' records, their initiatives.
    with django_assert_max_num_queries(7):
        response = client.get(reverse("governance:risks-history"))
    assert response.status_code == 200
    assert _entries(response.content.decode()) == min(50, 2 * size)


# --- No dead ends into the admin --------------------------------------------------------------------------


def _pages(initiative, kpi) -> list[str]:
    return [
        _initiative_url(initiative),
        reverse("initiatives:history", args=[initiative.code]),
        reverse("kpis:detail", args=[kpi.code]),
        reverse("kpis:history", args=[kpi.code]),
        reverse("governance:risks"),
        reverse("governance:risks-history"),
        reverse("governance:shadow-ai"),
        reverse("governance:shadow-ai-history"),
        reverse("governance:shared-zone"),
        reverse("governance:shared-zone-history"),
        reverse("governance:matrix-version", args=[1]),
        reverse("governance:matrix-history"),
    ]


def test_an_ops_leads_history_pages_link_nowhere_into_the_admin(client, initiative_a, kpi, ops_lead_a, admin_user, coo):
    published(admin_user, coo)
    initiative_update(initiative=initiative_a, by=ops_lead_a, data={"name": "Renamed"}, read_at=None)
    client.force_login(ops_lead_a)

    for url in _pages(initiative_a, kpi):
        html = client.get(url).content.decode()
        assert 'class="history' in html, url
        assert not re.search(r'href="[^"]*/admin/', html), url


def test_an_admin_sees_the_administration_link_the_others_do_not(client, initiative_a, admin_user):
    client.force_login(admin_user)
    html = client.get(_initiative_url(initiative_a)).content.decode()

    assert re.search(r'href="[^"]*/admin/"', html)  # the check above can find a link when there is one


def test_the_history_reader_reads_a_model_with_a_field_named_source(initiative_a, kpi, ops_lead_a):
    """A measurement has a ``source``: the reader's own names for its columns must not clash."""
    from metrics.models import Measurement
    from scoreboard import history

    measurement = factories.MeasurementFactory(kpi=kpi, initiative=initiative_a, value=10)
    measurement.value = 12
    measurement.save()

    entries = history.page(history.Source(Measurement), number=1).object_list

    assert len(entries) == 2
    assert [(c.name, c.before, c.after) for c in entries[0].changes] == [("value", "10.000000", "12.000000")]
