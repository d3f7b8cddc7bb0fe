"""Migrations that move data keep it: the shadow-AI register's move from initiatives to governance,
the amber threshold's retirement, which recolours every stored status by the new rule, and the
values people entered twice for one day, collapsed to the latest with the other kept in history."""

from datetime import UTC, date, datetime

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


PERIODS_BEFORE = [("metrics", "0009_text_length_limits")]
PERIODS_AFTER = [("metrics", "0014_csv_import_rows_add_up")]


@pytest.mark.django_db(transaction=True)
def test_values_people_entered_twice_for_one_day_collapse_to_the_latest_with_history():
    old = _migrate(PERIODS_BEFORE)
    people = old.get_model("scoreboard", "User").objects
    cio, coo = people.create(username="cio-m"), people.create(username="coo-m")
    kpi = old.get_model("metrics", "KPI").objects.create(
        code="adoption", name="Adoption", family="shared_outcome", unit="percent", direction="higher",
        aggregation="mean", scope="company", accountable_executive=cio, co_accountable_executive=coo,
    )  # fmt: skip
    sources = old.get_model("metrics", "MetricSource").objects
    form, api, warehouse = (sources.create(name=k, kind=k) for k in ("manual", "api_push", "sql"))
    measurements = old.get_model("metrics", "Measurement").objects

    def value(source, day, hour, number):
        return measurements.create(
            kpi=kpi, source=source, observed_at=datetime(2026, 3, day, hour, tzinfo=UTC), value=number, entered_via="x"
        )

    first = value(form, 9, 9, 80)  # the day's value...
    corrected = value(api, 9, 15, 85)  # ...corrected in the afternoon through another path: two values, the bug
    next_day = value(form, 10, 9, 70)
    pulled = [value(warehouse, 9, 9, 1), value(warehouse, 9, 15, 2)]  # a pull's two times are two values
    initiative = old.get_model("initiatives", "Initiative").objects.create(
        code="claims-m", name="Claims", business_unit="Claims", process="Intake", stage="pilot", sourcing="build",
        technology_owner=cio, operations_owner=coo, investment=1, expected_annual_benefit=1,
        started_on=date(2025, 1, 6),
    )  # fmt: skip
    upload = old.get_model("metrics", "CsvImport").objects.create(
        initiative=initiative, uploaded_by=cio, file_name="6000.csv", sha256="x", content="kpi,date,value\n",
        rows_total=6000, rows_checked=6000, rows_valid=6000, status="stored", stored_count=2097,
        finished_at=datetime(2026, 3, 9, tzinfo=UTC),
    )  # fmt: skip

    new = _migrate(PERIODS_AFTER)

    kept = new.get_model("metrics", "Measurement").objects
    assert sorted(kept.values_list("pk", "value", "period_start")) == sorted(
        [
            (corrected.pk, 85, date(2026, 3, 9)),
            (next_day.pk, 70, date(2026, 3, 10)),
            *((p.pk, p.value, None) for p in pulled),
        ]
    )
    gone = new.get_model("metrics", "HistoricalMeasurement").objects.get(id=first.pk)
    assert (gone.history_type, gone.value) == ("-", 80)
    assert f"#{corrected.pk}, written later" in gone.history_change_reason
    owed = new.get_model("metrics", "RollUpDue").objects.values_list("kpi_id", "month")
    assert list(owed) == [(kpi.pk, date(2026, 3, 1))]
    upload = new.get_model("metrics", "CsvImport").objects.get(pk=upload.pk)
    assert upload.repeated_count == 6000 - 2097  # the rows that vanished, counted at last
    _migrate(_latest())


@pytest.mark.django_db(transaction=True)
def test_a_sum_kpis_values_of_one_day_become_the_days_total_and_no_month_changes():
    old = _migrate(PERIODS_BEFORE)
    people = old.get_model("scoreboard", "User").objects
    cio, coo = people.create(username="cio-s"), people.create(username="coo-s")
    kpi = old.get_model("metrics", "KPI").objects.create(
        code="cases", name="Cases processed", family="coo_operations", unit="count", direction="higher",
        aggregation="sum", scope="company", accountable_executive=cio, co_accountable_executive=coo,
    )  # fmt: skip
    api = old.get_model("metrics", "MetricSource").objects.create(name="api", kind="api_push")
    measurements = old.get_model("metrics", "Measurement").objects
    shifts = [
        measurements.create(
            kpi=kpi, source=api, observed_at=datetime(2026, 3, 9, hour, tzinfo=UTC), value=number, entered_via="api"
        )
        for hour, number in ((6, 120), (14, 95), (22, 40))  # a push per shift
    ]

    new = _migrate(PERIODS_AFTER)

    kept = new.get_model("metrics", "Measurement").objects.get()
    assert (kept.pk, kept.value, kept.period_start) == (shifts[-1].pk, 255, date(2026, 3, 9))
    history = new.get_model("metrics", "HistoricalMeasurement").objects
    assert sorted(history.filter(history_type="-").values_list("value", flat=True)) == [95, 120]
    assert history.get(id=kept.pk, history_type="~").value == 255
    assert not new.get_model("metrics", "RollUpDue").objects.exists()  # the month's sum is as it was
    _migrate(_latest())
