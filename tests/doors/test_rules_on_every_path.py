"""Each business rule, tried on every door that can write it: the page, the API, the admin and the
CSV import. One test per row, ``<rule> via <path> [<what>]``.

The rows are in table_initiatives.py, table_registers.py, table_matrix_metrics.py,
table_corrections.py and table_chat.py (harness.py says what a row is). The persona trying is one who may write the
object, so only the rule can refuse it; each row asserts:

- the answer: the page's or the API's status (400 a broken rule, 403 not this person's to do, 409
  a stale edit), the admin's change form shown again with the error (200) or its outright 403, or
  for the CSV import, the row's verdict in the preview and "store all" refused (409);
- the reason in words: a distinctive fragment of the message (HTML read with its entities);
- that nothing changed: every row of every table, history included, as before the write (for the
  CSV import, but the upload's own record). Where a path cannot express the write (a read-only
  field, no endpoint), the row proves instead that the value sent was not stored.

Then the table's completeness, by introspection: every admin and every API endpoint that writes
has a row, and writes through its service (completeness.py); and the check does catch a new door.
"""

from __future__ import annotations

import pytest
from django.urls import resolve

from tests import factories
from tests.db_rows import rows

from . import (
    table_approvals,
    table_chat,
    table_corrections,
    table_initiatives,
    table_matrix_metrics,
    table_preread,
    table_registers,
)
from .harness import PATHS, Door, World, send, words

pytestmark = pytest.mark.django_db

# The rules, in the order the table reads.
RULES = [
    table_initiatives.EDITABLE,
    table_initiatives.PRODUCTION_GATES,
    table_approvals.SPONSOR,
    table_approvals.ASKERS,
    table_approvals.APPROVER,
    table_approvals.IDENTICAL,
    table_initiatives.ASSESSED_GATE,
    table_initiatives.BRIEF,
    table_initiatives.OWNERS,
    table_initiatives.OWN_WORDS,
    table_matrix_metrics.NOT_REPORTED,
    table_registers.DATES,
    table_initiatives.STALE,
    table_registers.EXECUTIVES,
    table_matrix_metrics.PUBLISHED,
    table_registers.TOOL,
    table_initiatives.PARTS,
    table_initiatives.STEPS,
    table_registers.SCORES,
    table_registers.RATING,
    table_initiatives.GATE_DONE,
    table_matrix_metrics.KPI_EXECUTIVES,
    table_matrix_metrics.TARGET_ORDER,
    table_matrix_metrics.NO_AMBER,
    table_matrix_metrics.BOUNDS,
    table_matrix_metrics.SECRETS,
    table_matrix_metrics.SERVER_SECRETS,
    table_matrix_metrics.VALUES,
    table_matrix_metrics.EXISTED,
    table_registers.TEXT,
    table_registers.LENGTH,
    table_registers.YEARS,
    table_registers.MONTH_ENDED,
    table_initiatives.GO_LIVE,
    table_corrections.CORRECTS,
    table_corrections.ONE_A_PERIOD,
    table_corrections.PERIOD_CHANGE,
    table_registers.RESTATERS,
    table_registers.RESTATE_REASON,
    table_preread.DAYS,
    table_preread.FORMAT,
    table_preread.RESEND,
    table_chat.CHAT_HOSTS,
    table_chat.CHAT_SECRETS,
]
DOORS: list[Door] = sorted(
    [
        *table_initiatives.DOORS,
        *table_approvals.DOORS,
        *table_registers.DOORS,
        *table_matrix_metrics.DOORS,
        *table_corrections.DOORS,
        *table_preread.DOORS,
        *table_chat.DOORS,
    ],
    key=lambda door: (RULES.index(door.rule), PATHS.index(door.path)),
)
# The CSV import keeps a record of each upload (its file and verdicts): not a measurement.
UPLOAD_RECORD = {"metrics_csvimport"}


@pytest.fixture
def w(cio, coo, ceo, admin_user, ops_lead_a, ops_lead_b, initiative_a, initiative_b, kpi):
    ada = factories.admin(username="ada", first_name="Ada", last_name="Adler")  # changes things under others
    return World(
        cio=cio,
        coo=coo,
        ceo=ceo,
        admin_user=admin_user,
        ops_lead_a=ops_lead_a,
        ops_lead_b=ops_lead_b,
        initiative_a=initiative_a,
        initiative_b=initiative_b,
        kpi=kpi,
        ada=ada,
    )


def model_of(url: str):
    """The model whose admin or endpoint ``url`` is."""
    view = resolve(url.split("?")[0]).func
    if hasattr(view, "model_admin"):
        return view.model_admin.model
    return view.cls.queryset.model


def test_the_table_has_a_row_on_each_path_of_the_issues_rules():
    tried = {(door.rule, door.path) for door in DOORS}
    assert len({door.id for door in DOORS}) == len(DOORS), "two rows share an id"
    assert set(RULES) == {door.rule for door in DOORS}
    for rule, paths in {
        table_initiatives.EDITABLE: ("api", "admin"),
        # Asked on the page and the API (the decision log's admin writes nothing); the admin's edit of the
        # stage is refused before the gates, by the sponsor's rule.
        table_initiatives.PRODUCTION_GATES: ("page", "api"),
        table_approvals.SPONSOR: ("page", "api", "admin"),
        table_approvals.ASKERS: ("page", "api"),
        table_approvals.APPROVER: ("page", "api"),
        table_approvals.IDENTICAL: ("page", "api"),
        table_initiatives.ASSESSED_GATE: ("page", "api", "admin"),
        table_initiatives.BRIEF: ("page", "api", "admin"),
        table_initiatives.OWNERS: ("page", "api", "admin"),
        table_initiatives.OWN_WORDS: ("page", "api", "admin"),
        table_matrix_metrics.NOT_REPORTED: ("page", "api", "admin", "csv"),
        table_registers.DATES: ("page", "api", "admin", "csv"),
        table_initiatives.STALE: ("page", "api", "admin"),
        table_registers.EXECUTIVES: ("page", "api", "admin"),
        table_matrix_metrics.PUBLISHED: ("page", "api", "admin"),
        table_registers.TOOL: ("page", "api", "admin"),
        table_matrix_metrics.BOUNDS: ("page", "api", "admin"),
        table_matrix_metrics.EXISTED: ("page", "api", "admin", "csv"),
        # Measurements have no admin that writes; the quick form sends one value, never two.
        table_corrections.CORRECTS: ("page", "api", "csv"),
        table_corrections.ONE_A_PERIOD: ("api", "csv"),
        table_corrections.PERIOD_CHANGE: ("page", "api", "admin"),
        table_registers.RESTATERS: ("page", "api", "admin"),
        table_registers.RESTATE_REASON: ("page", "api", "admin"),
        # The schedule and sending again are the admin's alone; the subscription is the member's page's.
        table_preread.DAYS: ("admin",),
        table_preread.FORMAT: ("page",),
        table_preread.RESEND: ("admin",),
        # Chat destinations are configured in the admin only: no page, no endpoint.
        table_chat.CHAT_HOSTS: ("admin",),
        table_chat.CHAT_SECRETS: ("admin",),
    }.items():
        assert {(rule, path) for path in paths} <= tried, rule


@pytest.mark.parametrize("door", DOORS, ids=[door.id for door in DOORS])
def test_the_rule_holds_on_this_door(client, w, door):
    client.force_login(w[door.who])
    sent = door.attempt(w, client)  # makes what the row needs
    if door.path in ("admin", "api"):
        assert model_of(sent.url) is door.model, f"{sent.url} is not a door to {door.model.__name__}"
    before = rows()

    response, text = send(client, sent)

    assert response.status_code == door.status, text[:3000]
    reason = door.reason(w)
    if reason is not None:
        assert words(reason) in text, f"the answer does not say {reason!r}: {text[:3000]}"
    if not door.stores:
        after = rows()
        touched = sorted(
            table
            for table in before
            if before[table] != after[table] and not (door.path == "csv" and table in UPLOAD_RECORD)
        )
        assert not touched, f"{door.id} answered {response.status_code}, yet changed rows in {touched}"
    if door.kept is not None:
        door.kept(w, response)


# --- The table is complete ---------------------------------------------------------------------------------------


def test_every_admin_that_writes_has_a_row_and_writes_through_its_service():
    from django.contrib import admin

    import scoreboard.urls  # noqa: F401 - the wiring registers the ExCo dashboard's admins

    from .completeness import admin_findings

    assert admin_findings(admin.site._registry, DOORS) == []


def test_every_endpoint_that_writes_has_a_row_and_writes_through_its_service():
    from scoreboard.urls import api

    from .completeness import viewset_findings

    assert viewset_findings(api, DOORS) == []


def test_the_check_finds_a_new_admin_that_writes():
    from django.contrib import admin

    from scoreboard.models import MonthlyPack

    from .completeness import admin_findings

    class PackAdmin(admin.ModelAdmin):  # a new door: Django's own save_model and delete_model
        pass

    site = admin.AdminSite(name="throwaway")
    site.register(MonthlyPack, PackAdmin)
    findings = admin_findings(site._registry, DOORS)
    assert any(f.startswith("scoreboard.MonthlyPack: PackAdmin writes, but no row") for f in findings), findings
    assert any(f.startswith("scoreboard.MonthlyPack: PackAdmin writes without a service") for f in findings), findings


def test_the_check_finds_a_new_endpoint_that_writes():
    from rest_framework import serializers, viewsets
    from rest_framework.routers import DefaultRouter

    from scoreboard.models import MonthlyPack

    from .completeness import viewset_findings

    class PackSerializer(serializers.ModelSerializer):
        class Meta:
            model = MonthlyPack
            fields = ["month"]

    class PackViewSet(viewsets.ModelViewSet):  # a new door: DRF's own create, update and destroy
        queryset = MonthlyPack.objects.all()
        serializer_class = PackSerializer

    router = DefaultRouter()
    router.register("packs", PackViewSet)
    findings = viewset_findings(router, DOORS)
    assert any(f.startswith("scoreboard.MonthlyPack: PackViewSet writes, but no row") for f in findings), findings
    assert any("PackViewSet: POST" in f and "DRF's own" in f for f in findings), findings
