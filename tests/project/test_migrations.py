"""Migrations that move data keep it: the shadow-AI register's move from initiatives to governance,
and the amber threshold's retirement, which recolours every stored status by the new rule."""

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("initiatives", "0005_brief_revised_at"), ("governance", "0004_risk_owners_differ")]
AFTER = [
    ("initiatives", "0006_shadow_ai_register_moves_to_governance"),
    ("governance", "0006_shadow_ai_register_tables"),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_shadow_ai_register_moves_to_governance_with_its_rows_and_history():
    old = _migrate(BEFORE)
    tool = old.get_model("initiatives", "ShadowAITool").objects.create(
        tool="ChatGPT",
        team="Claims",
        use="Drafting letters",
        why_it_helps="Saves an hour a day",
        data_sensitivity="restricted",
        status="under_review",
        discovered_on=date(2026, 2, 1),
    )
    old.get_model("initiatives", "HistoricalShadowAITool").objects.create(
        id=tool.pk,
        tool=tool.tool,
        team=tool.team,
        use=tool.use,
        why_it_helps=tool.why_it_helps,
        data_sensitivity=tool.data_sensitivity,
        status=tool.status,
        discovered_on=tool.discovered_on,
        history_date="2026-02-01T09:00:00Z",
        history_type="+",
    )

    new = _migrate(AFTER)

    moved = new.get_model("governance", "ShadowAITool").objects.get()
    assert (moved.pk, moved.tool, moved.team) == (tool.pk, "ChatGPT", "Claims")
    assert new.get_model("governance", "HistoricalShadowAITool").objects.filter(id=tool.pk).count() == 1
    tables = connection.introspection.table_names()
    assert "governance_shadowaitool" in tables
    assert "initiatives_shadowaitool" not in tables
    # The next tool takes the next number: the table's sequence moved with it.
    second = new.get_model("governance", "ShadowAITool").objects.create(
        tool="Gemini", team="Claims", use="x", why_it_helps="y", data_sensitivity="public",
        status="under_review", discovered_on=date(2026, 2, 2),
    )  # fmt: skip
    assert second.pk > tool.pk
    _migrate(_latest())


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_retiring_the_amber_threshold_recolours_a_stored_figure_that_missed_its_target():
    old = _migrate([("metrics", "0007_source_pull_requested_at")])
    person = old.get_model("scoreboard", "User")
    cio, coo = person.objects.create(username="cio"), person.objects.create(username="coo")
    snapshots = old.get_model("metrics", "MonthlySnapshot")
    made = {}
    for direction, value, target, amber, red, was in (
        ("higher", 65, 70, 64, 55, "green"),  # automated processing 65 % against 70 %: green by the old rule
        ("lower", "2.3", "2.0", "3.0", "4.5", "green"),  # error rate 2.3 % against 2.0 %
        ("higher", 80, 70, 64, 55, "green"),
        ("higher", 50, 70, 64, 55, "red"),
    ):
        kpi = old.get_model("metrics", "KPI").objects.create(
            code=f"kpi-{len(made)}", name=f"KPI {len(made)}", family="coo_operations", unit="percent",
            direction=direction, aggregation="mean", scope="company", accountable_executive=cio,
            co_accountable_executive=coo,
        )  # fmt: skip
        made[kpi.pk] = snapshots.objects.create(
            kpi=kpi, month=date(2026, 3, 1), value=value, target=target, amber_threshold=amber, red_threshold=red,
            status=was, computed_at="2026-04-01T00:00:00Z",
        ).pk  # fmt: skip

    new = _migrate([("metrics", "0008_targets_amber_begins_at_the_target")])

    recoloured = new.get_model("metrics", "MonthlySnapshot").objects.in_bulk(list(made.values()))
    assert [recoloured[pk].status for pk in made.values()] == ["amber", "amber", "green", "red"]
    _migrate(_latest())
