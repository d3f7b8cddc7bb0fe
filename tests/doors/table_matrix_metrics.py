"""Rows of the table: the decision-authority matrix (stale edits, published versions) and the metrics
(a KPI the initiative does not report, measurements dated in the future, KPI definitions, targets,
the metric sources)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from governance.models import MatrixDecision, MatrixVersion
from initiatives.models import Initiative, WorkflowChange
from metrics.models import KPI, Measurement, MetricSource, SourceMapping, Target
from tests import factories

from . import makers as m
from . import table_registers as r
from .harness import Door, Send, admin_form, page_form

STALE = "stale edits"
PUBLISHED = "published matrix versions are read-only"
NOT_REPORTED = "a KPI the initiative does not report"
DATES = "dates out of range"
KPI_EXECUTIVES = "a KPI is answered for by executives"
TARGET_ORDER = "a target's thresholds run in order"
NO_AMBER = "a target has no amber threshold: amber begins at the target"
BOUNDS = "a matrix bound never contradicts a target of its KPI"
SECRETS = "a source's credentials are never stored"
SERVER_SECRETS = "a source reads only the variables meant for sources"
VALUES = "a value is a number as people write it"
EXISTED = "no observation before its initiative started or its KPI has figures"

# --- Stale edits of a matrix decision ----------------------------------------------------------------------------


def _changed_by_ada(decision):
    def change(w):
        m.stamp(decision, w.ada, "Changed escalation owner", escalation_owner="Head of claims")

    return change


def _stale_page(w, c):
    decision = m.draft_decision(w)
    read_at = decision.updated_at.isoformat()
    _changed_by_ada(decision)(w)
    body = {"cell": "autonomy_tier", "autonomy_tier": "ai_autonomous", "read_at": read_at}
    return Send("POST", f"/governance/matrix/2/decisions/{decision.pk}/", body)


def _stale_api(w, c):
    decision = m.draft_decision(w)
    read_at = decision.updated_at.isoformat()
    _changed_by_ada(decision)(w)
    body = {"autonomy_tier": "ai_autonomous", "updated_at": read_at}
    return Send("PATCH", f"/api/v1/matrix-decisions/{decision.pk}/", body, json=True)


def _stale_admin(w, c):
    decision = m.draft_decision(w)
    url = f"/admin/governance/matrixdecision/{decision.pk}/change/"
    data = admin_form(c, url, confidence_threshold="0.990")  # the form carries when it was read
    _changed_by_ada(decision)(w)
    return Send("POST", url, data)


def _ada_changed(w):
    return f"{w.ada} changed “Approve a low-value claim”"


STALE_DOORS = [
    Door(STALE, "page", "admin_user", MatrixDecision, _stale_page, 409, _ada_changed, what="matrix decision"),
    Door(STALE, "api", "admin_user", MatrixDecision, _stale_api, 409, _ada_changed, what="matrix decision"),
    Door(STALE, "admin", "admin_user", MatrixDecision, _stale_admin, 200, _ada_changed, what="matrix decision",
         note="The admin's change form carries a hidden read_at."),
]  # fmt: skip


# --- Published matrix versions are read-only -------------------------------------------------------------------

IS_PUBLISHED = "v1 is published"
OUTRIGHT = "The admin refuses outright (a 403 without words): it has no change view for a published version."


def _published_decision(w):
    return m.published_v1(w).decisions.get()


def _published_cell(w, c):
    decision = _published_decision(w)
    body = {"cell": "autonomy_tier", "autonomy_tier": "ai_autonomous", "read_at": decision.updated_at.isoformat()}
    return Send("POST", f"/governance/matrix/1/decisions/{decision.pk}/", body)


PUBLISHED_DOORS = [
    Door(PUBLISHED, "page", "admin_user", MatrixDecision, _published_cell, 403, IS_PUBLISHED, what="a cell"),
    Door(PUBLISHED, "api", "admin_user", MatrixDecision,
         lambda w, c: Send("PATCH", f"/api/v1/matrix-decisions/{_published_decision(w).pk}/",
                           {"autonomy_tier": "ai_autonomous"}, json=True),
         403, IS_PUBLISHED, what="PATCH a decision"),
    Door(PUBLISHED, "api", "admin_user", MatrixDecision,
         lambda w, c: Send("DELETE", f"/api/v1/matrix-decisions/{_published_decision(w).pk}/", json=True),
         403, IS_PUBLISHED, what="DELETE a decision"),
    Door(PUBLISHED, "api", "admin_user", MatrixVersion,
         lambda w, c: Send("PATCH", f"/api/v1/matrix-versions/{m.published_v1(w).number}/",
                           {"reason": "Rewritten after the fact"}, json=True),
         403, IS_PUBLISHED, what="PATCH the version"),
    Door(PUBLISHED, "admin", "admin_user", MatrixDecision,
         lambda w, c: Send("POST", f"/admin/governance/matrixdecision/{_published_decision(w).pk}/change/",
                           {"decision": "Changed after publication"}),
         403, None, what="a decision", note=OUTRIGHT),
    Door(PUBLISHED, "admin", "admin_user", MatrixVersion,
         lambda w, c: Send("POST", f"/admin/governance/matrixversion/{m.published_v1(w).pk}/change/", {}),
         403, None, what="the version's page", note=OUTRIGHT),
]  # fmt: skip


# --- A KPI the initiative does not report ------------------------------------------------------------------------

NOT_ITS_KPI = "is not one of the KPIs"
CSV_HEADER = "kpi,date,value,note"


def _adoption_page(w, c):
    body = m.workflow_body(adoption_kpi=m.spare_kpi(w).pk)
    return Send("POST", f"/initiatives/{w.initiative_a.code}/workflow/", body)


def _adoption_api(w, c):
    body = {
        "initiative": w.initiative_a.code,
        "process_name": "Claims routing",
        "adoption_target_percent": "75",
        "adoption_kpi": m.spare_kpi(w).code,
    }
    return Send("POST", "/api/v1/workflow-changes/", body, json=True)


def _adoption_admin(w, c):
    url = "/admin/initiatives/workflowchange/add/"
    data = admin_form(
        c,
        url,
        initiative=w.initiative_a,
        process_name="Claims routing",
        adoption_target_percent="75",
        adoption_kpi=m.spare_kpi(w),
    )
    return Send("POST", url, data)


def _log(kpi_code, period):
    """The workspace's quick form for initiative A."""
    return lambda w, c: Send(
        "POST",
        f"/my/{w.initiative_a.code}/log/",
        {"kpi": kpi_code(w), "period": period.isoformat(), "value": "64", "note": ""},
    )


def _push(kpi_code, day):
    return lambda w, c: Send(
        "POST",
        "/api/v1/measurements/",
        {"kpi": kpi_code(w), "initiative": w.initiative_a.code, "observed_at": m.moment(day), "value": "61.5"},
        json=True,
    )


def _csv(kpi_code, day):
    return lambda w, c: Send(
        "POST",
        f"/my/{w.initiative_a.code}/csv/upload/",
        file=f"{CSV_HEADER}\n{kpi_code(w)},{day.isoformat()},64,From a file\n".encode(),
    )


def _spare_code(w):
    return m.spare_kpi(w).code


def _its_kpi(w):
    return w.kpi.code


def _mapping_admin(w, c):
    url = "/admin/metrics/sourcemapping/add/"
    data = admin_form(
        c, url, source=m.http_source(), kpi=m.spare_kpi(w), initiative=w.initiative_a, expression="$.straight_through"
    )
    return Send("POST", url, data)


def _mapping_inline(w, c):
    source = m.http_source()
    url = f"/admin/metrics/metricsource/{source.pk}/change/"
    data = admin_form(c, url)
    row = {"kpi": m.spare_kpi(w).pk, "initiative": w.initiative_a.pk, "expression": "$.straight_through"}
    data.update({f"mappings-0-{name}": value for name, value in row.items()})
    data["mappings-0-source"] = source.pk
    return Send("POST", url, data)


CSV_NOTE = (
    "Preview, then 'store all': the row's verdict says why, the store is refused (the upload's own record stays)."
)

NOT_REPORTED_DOORS = [
    Door(NOT_REPORTED, "page", "ops_lead_a", WorkflowChange, _adoption_page, 400, "KPIs this initiative reports",
         what="adoption KPI"),
    Door(NOT_REPORTED, "api", "ops_lead_a", WorkflowChange, _adoption_api, 400, "KPIs this initiative reports",
         what="adoption KPI"),
    Door(NOT_REPORTED, "admin", "admin_user", WorkflowChange, _adoption_admin, 200, "KPIs this initiative reports",
         what="adoption KPI"),
    Door(NOT_REPORTED, "page", "ops_lead_a", Measurement, _log(_spare_code, m.RECENT), 400, NOT_ITS_KPI,
         what="measurement, the quick form"),
    Door(NOT_REPORTED, "api", "ops_lead_a", Measurement, _push(_spare_code, m.RECENT), 400, NOT_ITS_KPI,
         what="measurement"),
    Door(NOT_REPORTED, "csv", "ops_lead_a", Measurement, _csv(_spare_code, m.RECENT), 409, NOT_ITS_KPI,
         what="measurement", note=CSV_NOTE),
    Door(NOT_REPORTED, "admin", "admin_user", SourceMapping, _mapping_admin, 200, "does not report not-reported",
         what="source mapping"),
    Door(NOT_REPORTED, "admin", "admin_user", MetricSource, _mapping_inline, 200, "does not report not-reported",
         what="source mapping, inline on the source's page"),
]  # fmt: skip

BEFORE_2000 = date(1999, 12, 1)
TOO_EARLY = "before 1 Jan 2000"


def _typed(value):
    """A measurement of initiative A's KPI, the value as given, on each people's and machines' path."""
    day = m.RECENT
    return {
        "page": lambda w, c: Send(
            "POST", f"/my/{w.initiative_a.code}/log/",
            {"kpi": w.kpi.code, "period": day.isoformat(), "value": value, "note": ""},
        ),
        "api": lambda w, c: Send(
            "POST", "/api/v1/measurements/",
            {"kpi": w.kpi.code, "initiative": w.initiative_a.code, "observed_at": m.moment(day), "value": value},
            json=True,
        ),
        "csv": lambda w, c: Send(
            "POST", f"/my/{w.initiative_a.code}/csv/upload/",
            file=f"{CSV_HEADER}\n{w.kpi.code},{day.isoformat()},{value},\n".encode(),
        ),
    }  # fmt: skip


VALUE_DOORS = [
    Door(VALUES, "page", "ops_lead_a", Measurement, _typed("1_000")["page"], 400, "is not a number", what="1_000"),
    Door(VALUES, "api", "ops_lead_a", Measurement, _typed("1_000")["api"], 400, "is not a number", what="1_000"),
    Door(VALUES, "csv", "ops_lead_a", Measurement, _typed("1_000")["csv"], 409, "is not a number", what="1_000",
         note=CSV_NOTE),
    Door(VALUES, "api", "ops_lead_a", Measurement, _typed("NaN")["api"], 400, "is not a number", what="NaN"),
    Door(VALUES, "api", "ops_lead_a", Measurement, _typed("1e-999999")["api"], 400, "smaller than the 6 decimal",
         what="a value too small to keep"),
]  # fmt: skip


def _noted(note: str):
    """A measurement of initiative A's KPI with ``note``, on the quick form, the API and a CSV file."""
    day = m.RECENT

    def page(w, c):
        form = {"kpi": w.kpi.code, "period": day.isoformat(), "value": "64", "note": note}
        return Send("POST", f"/my/{w.initiative_a.code}/log/", form)

    def api(w, c):
        body = {"kpi": w.kpi.code, "initiative": w.initiative_a.code, "observed_at": m.moment(day), "value": 64}
        return Send("POST", "/api/v1/measurements/", {**body, "note": note}, json=True)

    def csv(w, c):
        content = f"{CSV_HEADER}\n{w.kpi.code},{day.isoformat()},64,{note}\n"
        return Send("POST", f"/my/{w.initiative_a.code}/csv/upload/", file=content.encode())

    return {"page": page, "api": api, "csv": csv}


BELL_NOTE = "Checked\x07 twice"
NOTE_DOORS = [
    Door(r.TEXT, path, "ops_lead_a", Measurement, _noted(BELL_NOTE)[path], status, "control character (U+0007)",
         what="measurement note", note=CSV_NOTE if path == "csv" else "")
    for path, status in (("page", 400), ("api", 400), ("csv", 409))
]  # fmt: skip

FUTURE_DOORS = [
    Door(DATES, "page", "ops_lead_a", Measurement, _log(_its_kpi, BEFORE_2000), 400, TOO_EARLY,
         what="measurement before 2000, the quick form"),
    Door(DATES, "api", "ops_lead_a", Measurement, _push(_its_kpi, BEFORE_2000), 400, TOO_EARLY,
         what="measurement before 2000"),
    Door(DATES, "csv", "ops_lead_a", Measurement, _csv(_its_kpi, BEFORE_2000), 409, TOO_EARLY,
         what="measurement before 2000", note=CSV_NOTE),
    Door(DATES, "page", "ops_lead_a", Measurement, _log(_its_kpi, m.FUTURE), 400, "is in the future",
         what="measurement, the quick form"),
    Door(DATES, "api", "ops_lead_a", Measurement, _push(_its_kpi, m.FUTURE), 400, "is in the future",
         what="measurement"),
    Door(DATES, "csv", "ops_lead_a", Measurement, _csv(_its_kpi, m.FUTURE), 409, "is in the future",
         what="measurement", note=CSV_NOTE),
]  # fmt: skip


# --- KPI definitions, targets, sources ---------------------------------------------------------------------------


def _kpi_api(w, c):
    body = {**m.KPI_BODY, "accountable_executive": w.ops_lead_a.username, "co_accountable_executive": w.coo.username}
    return Send("POST", "/api/v1/kpis/", body, json=True)


def _kpi_admin(w, c):
    url = "/admin/metrics/kpi/add/"
    data = admin_form(c, url, **m.KPI_BODY, accountable_executive=w.ops_lead_a, co_accountable_executive=w.coo)
    return Send("POST", url, data)


def _kpi_page(w, c):
    # The whole edit form, as the KPI's page sends it, with an ops lead as its second executive.
    body = {name: value for name, value in m.KPI_BODY.items() if name != "code"}
    body |= {"expected_interval_days": "31", "period": "day", "display_order": "100"}
    body |= {"accountable_executive": w.cio.pk, "co_accountable_executive": w.ops_lead_a.pk}
    return Send("POST", f"/kpis/{w.kpi.code}/edit/", body)


THRESHOLDS = {"target": "85", "red_threshold": "90"}  # red above the target of a higher-is-better KPI


def _target_api(w, c):
    body = {"kpi": w.kpi.code, "initiative": w.initiative_a.code, "effective_from": m.FIRST_OF_MONTH.isoformat()}
    return Send("POST", "/api/v1/targets/", {**body, **THRESHOLDS}, json=True)


def _target_admin(w, c):
    url = "/admin/metrics/target/add/"
    data = admin_form(c, url, kpi=w.kpi, initiative=w.initiative_a, effective_from=m.FIRST_OF_MONTH, **THRESHOLDS)
    return Send("POST", url, data)


def _target_inline(w, c):
    url = f"/admin/metrics/kpi/{w.kpi.pk}/change/"
    data = admin_form(c, url)
    row = {"initiative": w.initiative_a.pk, "effective_from": m.FIRST_OF_MONTH.isoformat(), **THRESHOLDS}
    data.update({"targets-TOTAL_FORMS": "1", **{f"targets-0-{name}": value for name, value in row.items()}})
    data["targets-0-kpi"] = w.kpi.pk
    return Send("POST", url, data)


def _source_admin(w, c):
    url = "/admin/metrics/metricsource/add/"
    data = admin_form(
        c,
        url,
        name="Claims system",
        kind="http_json",
        url="https://claims.example.com/metrics",
        headers='{"Authorization": "Bearer 0123456789abcdef"}',
    )
    return Send("POST", url, data)


def _server_secret_header(w, c):
    url = "/admin/metrics/metricsource/add/"
    data = admin_form(
        c,
        url,
        name="Claims system",
        kind="http_json",
        url="https://claims.example.com/metrics",
        headers='{"Authorization": {"env": "SECRET_KEY"}}',
    )
    return Send("POST", url, data)


def _own_database(w, c):
    url = "/admin/metrics/metricsource/add/"
    data = admin_form(c, url, name="Warehouse", kind="sql", connection_env="DATABASE_URL", query="select 1")
    return Send("POST", url, data)


def _target_with_amber_api(w, c):
    body = {"kpi": w.kpi.code, "initiative": w.initiative_a.code, "effective_from": m.FIRST_OF_MONTH.isoformat()}
    return Send("POST", "/api/v1/targets/", {**body, "target": "85", "red_threshold": "65", "amber_threshold": "75"},
                json=True)  # fmt: skip


# --- A matrix bound never contradicts a target of its KPI ------------------------------------------------------
# w.kpi is higher-is-better (%). A bound breached below 85 % is stricter than the company-wide target of 80 %: a
# figure of 82 % would be green and outside its bounds at once. Tried on both sides: the draft's decision, and
# the target (or the KPI's direction) beside a decision of the version in force.

STRICTER = "is stricter than"
WOULD_BE_GREEN = "would colour green a figure that decision calls outside its bounds"
STRICT_BOUND = {"monitoring_kpi": None, "breach_threshold": "85", "breach_when": "below"}


def _company_target(w, target="80", red="60"):
    return factories.TargetFactory(kpi=w.kpi, effective_from=m.LAST_MONTH, target=Decimal(target),
                                   red_threshold=Decimal(red))  # fmt: skip


def _bound_cell_page(w, c):
    _company_target(w)
    decision = m.draft_decision(w)
    body = {"cell": "monitoring", "monitoring_kpi": w.kpi.pk, "breach_threshold": "85", "breach_when": "below",
            "read_at": decision.updated_at.isoformat()}  # fmt: skip
    return Send("POST", f"/governance/matrix/2/decisions/{decision.pk}/", body)


def _bound_api(w, c):
    _company_target(w)
    decision = m.draft_decision(w)
    body = {**STRICT_BOUND, "monitoring_kpi": w.kpi.code}
    return Send("PATCH", f"/api/v1/matrix-decisions/{decision.pk}/", body, json=True)


def _bound_admin(w, c):
    _company_target(w)
    decision = m.draft_decision(w)
    url = f"/admin/governance/matrixdecision/{decision.pk}/change/"
    return Send("POST", url, admin_form(c, url, **{**STRICT_BOUND, "monitoring_kpi": w.kpi}))


def _watched_in_force(w, threshold="70"):
    """v1, in force, watches w.kpi for initiative A: outside its bounds below ``threshold``."""
    signal = {"monitoring_kpi": w.kpi, "breach_threshold": Decimal(threshold), "breach_when": "below"}
    factories.MatrixDecisionFactory(version=m.published_v1(w), key="watch-automation", initiative=w.initiative_a,
                                    decision="Route a claim to fast track", **signal)  # fmt: skip


LOOSE_TARGET = {"target": "65", "red_threshold": "50"}  # 68 % would be green, yet below the bound of 70 %


def _loose_target_api(w, c):
    _watched_in_force(w)
    body = {"kpi": w.kpi.code, "initiative": w.initiative_a.code, "effective_from": m.FIRST_OF_MONTH.isoformat()}
    return Send("POST", "/api/v1/targets/", {**body, **LOOSE_TARGET}, json=True)


def _loose_target_admin(w, c):
    _watched_in_force(w)
    url = "/admin/metrics/target/add/"
    data = admin_form(c, url, kpi=w.kpi, initiative=w.initiative_a, effective_from=m.FIRST_OF_MONTH, **LOOSE_TARGET)
    return Send("POST", url, data)


def _loose_target_inline(w, c):
    _watched_in_force(w)
    url = f"/admin/metrics/kpi/{w.kpi.pk}/change/"
    data = admin_form(c, url)
    row = {"initiative": w.initiative_a.pk, "effective_from": m.FIRST_OF_MONTH.isoformat(), **LOOSE_TARGET}
    data.update({"targets-TOTAL_FORMS": "1", **{f"targets-0-{name}": value for name, value in row.items()}})
    data["targets-0-kpi"] = w.kpi.pk
    return Send("POST", url, data)


def _turned_round(w):
    # A target whose red threshold is the target itself reads the same both ways round, so only the bound refuses.
    _company_target(w, target="70", red="70")
    _watched_in_force(w, threshold="60")


def _direction_api(w, c):
    _turned_round(w)
    return Send("PATCH", f"/api/v1/kpis/{w.kpi.code}/", {"direction": "lower"}, json=True)


def _direction_page(w, c):
    _turned_round(w)
    url = f"/kpis/{w.kpi.code}/edit/"
    return Send("POST", url, page_form(c, url, direction="lower"))


def _direction_admin(w, c):
    _turned_round(w)
    url = f"/admin/metrics/kpi/{w.kpi.pk}/change/"
    return Send("POST", url, admin_form(c, url, direction="lower"))


BOUND_DOORS = [
    Door(BOUNDS, "page", "admin_user", MatrixDecision, _bound_cell_page, 400, STRICTER,
         what="the draft's monitoring cell"),
    Door(BOUNDS, "api", "admin_user", MatrixDecision, _bound_api, 400, STRICTER, what="the draft's decision"),
    Door(BOUNDS, "admin", "admin_user", MatrixDecision, _bound_admin, 200, STRICTER, what="the draft's decision"),
    Door(BOUNDS, "api", "admin_user", Target, _loose_target_api, 400, WOULD_BE_GREEN, what="a target"),
    Door(BOUNDS, "admin", "admin_user", Target, _loose_target_admin, 200, WOULD_BE_GREEN, what="a target"),
    Door(BOUNDS, "admin", "admin_user", KPI, _loose_target_inline, 200, WOULD_BE_GREEN,
         what="a target inline on the KPI's page"),
    Door(BOUNDS, "api", "admin_user", KPI, _direction_api, 400, WOULD_BE_GREEN, what="the KPI's direction"),
    Door(BOUNDS, "admin", "admin_user", KPI, _direction_admin, 200, WOULD_BE_GREEN, what="the KPI's direction"),
    Door(BOUNDS, "page", "admin_user", KPI, _direction_page, 400, WOULD_BE_GREEN,
         what="the KPI's direction, on the KPI's page"),
]  # fmt: skip


DEFINITION_DOORS = [
    Door(KPI_EXECUTIVES, "api", "admin_user", KPI, _kpi_api, 400, "is not an active executive"),
    Door(KPI_EXECUTIVES, "admin", "admin_user", KPI, _kpi_admin, 200, "is not an active executive"),
    Door(KPI_EXECUTIVES, "page", "admin_user", KPI, _kpi_page, 400, "is not an active executive",
         what="the KPI's edit page"),
    Door(TARGET_ORDER, "api", "admin_user", Target, _target_api, 400, "Thresholds must run"),
    Door(TARGET_ORDER, "admin", "admin_user", Target, _target_admin, 200, "Thresholds must run"),
    Door(TARGET_ORDER, "admin", "admin_user", KPI, _target_inline, 200, "Thresholds must run",
         what="inline on the KPI's page"),
    Door(NO_AMBER, "api", "admin_user", Target, _target_with_amber_api, 400, "amber now begins at the target",
         note="The admin's forms have no such field: only a client of the API can still send one."),
    Door(SECRETS, "admin", "admin_user", MetricSource, _source_admin, 200, "carries a credential"),
    Door(SERVER_SECRETS, "admin", "admin_user", MetricSource, _server_secret_header, 200,
         "SECRET_KEY is not a variable metric sources may read", what="a credential header"),
    Door(SERVER_SECRETS, "admin", "admin_user", MetricSource, _own_database, 200,
         "DATABASE_URL is not a variable metric sources may read", what="a SQL source's database URL"),
]  # fmt: skip


# --- No observation before its initiative started or its KPI has figures, and what is stored holds it ----------

NOT_YET = "the observed time is before it"


def _started_after_recent(w):
    w.initiative_a.started_on = m.RECENT + timedelta(days=1)
    w.initiative_a.save(update_fields=["started_on"])


def _before_start(path):
    def attempt(w, c):
        _started_after_recent(w)
        return {"page": _log, "api": _push, "csv": _csv}[path](_its_kpi, m.RECENT)(w, c)

    return attempt


def _before_kpi_figures(w, c):
    KPI.objects.filter(pk=w.kpi.pk).update(measured_from=m.RECENT + timedelta(days=1))
    return _push(_its_kpi, m.RECENT)(w, c)


def _stored_on_recent(w):
    source = MetricSource.objects.get_or_create(name="REST API", defaults={"kind": "api_push"})[0]
    m.entered(w.kpi, w.initiative_a, source, m.RECENT, 9, Decimal(61))


LATER_START = (m.RECENT + timedelta(days=1)).isoformat()
STARTS_AFTER = "it cannot have started after them"


def _start_after_page(w, c):
    _stored_on_recent(w)
    return Send(
        "POST", f"/initiatives/{w.initiative_a.code}/edit/", m.edit_body(w.initiative_a, started_on=LATER_START)
    )


def _start_after_api(w, c):
    _stored_on_recent(w)
    return Send("PATCH", f"/api/v1/initiatives/{w.initiative_a.code}/", {"started_on": LATER_START}, json=True)


def _start_after_admin(w, c):
    _stored_on_recent(w)
    url = f"/admin/initiatives/initiative/{w.initiative_a.pk}/change/"
    return Send("POST", url, admin_form(c, url, started_on=LATER_START))


def _figures_after_api(w, c):
    _stored_on_recent(w)
    return Send("PATCH", f"/api/v1/kpis/{w.kpi.code}/", {"measured_from": LATER_START}, json=True)


def _figures_after_page(w, c):
    _stored_on_recent(w)
    url = f"/kpis/{w.kpi.code}/edit/"
    return Send("POST", url, page_form(c, url, measured_from=LATER_START))


def _figures_after_admin(w, c):
    _stored_on_recent(w)
    url = f"/admin/metrics/kpi/{w.kpi.pk}/change/"
    return Send("POST", url, admin_form(c, url, measured_from=LATER_START))


EXISTED_DOORS = [
    Door(EXISTED, "page", "ops_lead_a", Measurement, _before_start("page"), 400, NOT_YET,
         what="before the initiative started, the quick form"),
    Door(EXISTED, "api", "ops_lead_a", Measurement, _before_start("api"), 400, NOT_YET,
         what="before the initiative started"),
    Door(EXISTED, "csv", "ops_lead_a", Measurement, _before_start("csv"), 409, NOT_YET,
         what="before the initiative started", note=CSV_NOTE),
    Door(EXISTED, "api", "ops_lead_a", Measurement, _before_kpi_figures, 400, NOT_YET,
         what="before the KPI has figures"),
    Door(EXISTED, "page", "ops_lead_a", Initiative, _start_after_page, 400, STARTS_AFTER,
         what="an initiative's start after its stored measurements"),
    Door(EXISTED, "api", "ops_lead_a", Initiative, _start_after_api, 400, STARTS_AFTER,
         what="an initiative's start after its stored measurements"),
    Door(EXISTED, "admin", "admin_user", Initiative, _start_after_admin, 200, STARTS_AFTER,
         what="an initiative's start after its stored measurements"),
    Door(EXISTED, "api", "admin_user", KPI, _figures_after_api, 400, "its figures cannot start later",
         what="a KPI's first day with figures after its stored values"),
    Door(EXISTED, "page", "admin_user", KPI, _figures_after_page, 400, "its figures cannot start later",
         what="a KPI's first day with figures after its stored values, on the KPI's page"),
    Door(EXISTED, "admin", "admin_user", KPI, _figures_after_admin, 200, "its figures cannot start later",
         what="a KPI's first day with figures after its stored values"),
]  # fmt: skip

DOORS = [
    *STALE_DOORS,
    *PUBLISHED_DOORS,
    *NOT_REPORTED_DOORS,
    *FUTURE_DOORS,
    *VALUE_DOORS,
    *NOTE_DOORS,
    *DEFINITION_DOORS,
    *BOUND_DOORS,
    *EXISTED_DOORS,
]
