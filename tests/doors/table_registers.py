"""Rows of the table: the registers (risks, the shadow-AI register, the shared zone, the pipeline's
inputs), the executives' own acts (inputs, sign-offs, answers) and the dates they are given."""

from __future__ import annotations

from django.contrib.messages import get_messages

from governance.models import DecisionRequest, Risk, ShadowAITool, SharedZoneDecision
from initiatives.models import DeploymentBrief, PrioritisationInput
from metrics.models import Annotation
from scoreboard.models import MonthlyReview, Restatement

from . import makers as m
from .harness import Door, Send, admin_form

OWNERS = "one person in both owner seats"
TOOL = "a shadow-AI tool adopted is the initiative it became"
DATES = "dates out of range"
EXECUTIVES = "executive-only inputs"
SCORES = "prioritisation scores run from 1 to 5"
RATING = "a risk is rated from 1 to 5"
TEXT = "text no one types is refused"
YEARS = "dates outside 2000 to 2099"
LENGTH = "text has a length limit"
MONTH_ENDED = "only a month that has ended is signed off"
RESTATERS = "only the CIO and the COO apply a restatement"
RESTATE_REASON = "a restatement is applied with a reason"

OWNERS_DIFFER = "must be a different person from the technology owner"
ADOPTED = "A tool is adopted by becoming an initiative"
UNDER_REVIEW = "A tool that became an initiative is no longer under review"
DISCOVERED = "A tool is discovered on or before today, not in the future"
CONTROL = "holds a control character (U+001B)"
OUTSIDE_YEARS = "outside the years the scoreboard speaks of"
ESCAPED_TITLE = "Model drift \x1b[31mred\x1b[0m"  # a terminal's colour codes pasted into a title

# --- One person in both owner seats: a risk ---------------------------------------------------------------------


def _risk_page(w, c):
    body = {
        **m.RISK_FORM,
        "technology_owner": w.cio.pk,
        "operations_owner": w.cio.pk,
        "initiatives": [w.initiative_a.pk],
    }
    return Send("POST", "/governance/risks/new/", body)


def _risk_api(w, c):
    body = {
        **{name: value for name, value in m.RISK_FORM.items() if name != "description"},
        "likelihood": 3,
        "impact": 4,
        "technology_owner": w.cio.username,
        "operations_owner": w.cio.username,
        "initiatives": [w.initiative_a.code],
    }
    return Send("POST", "/api/v1/risks/", body, json=True)


def _risk_admin(w, c):
    url = "/admin/governance/risk/add/"
    data = admin_form(
        c, url, **m.RISK_FORM, technology_owner=w.cio, operations_owner=w.cio, initiatives=[w.initiative_a]
    )
    return Send("POST", url, data)


OWNER_DOORS = [
    Door(OWNERS, "page", "admin_user", Risk, _risk_page, 400, OWNERS_DIFFER, what="risk"),
    Door(OWNERS, "api", "admin_user", Risk, _risk_api, 400, OWNERS_DIFFER, what="risk"),
    Door(OWNERS, "admin", "admin_user", Risk, _risk_admin, 200, OWNERS_DIFFER, what="risk"),
]


# --- Text no one types: control characters (NUL and lone surrogates are refused before any view) ---------------


def _risk_written(path: str, **text):
    """A new risk with ``text`` in its text fields, on the page, the API or the admin."""

    def attempt(w, c):
        owners = {"technology_owner": w.cio, "operations_owner": w.coo, "initiatives": [w.initiative_a]}
        if path == "page":
            body = {**m.RISK_FORM, **text, "technology_owner": w.cio.pk, "operations_owner": w.coo.pk}
            return Send("POST", "/governance/risks/new/", {**body, "initiatives": [w.initiative_a.pk]})
        if path == "api":
            body = {name: value for name, value in m.RISK_FORM.items() if name != "description"}
            body |= {**text, "likelihood": 3, "impact": 4, "technology_owner": w.cio.username}
            body |= {"operations_owner": w.coo.username, "initiatives": [w.initiative_a.code]}
            return Send("POST", "/api/v1/risks/", body, json=True)
        url = "/admin/governance/risk/add/"
        return Send("POST", url, admin_form(c, url, **{**m.RISK_FORM, **text}, **owners))

    return attempt


TEXT_DOORS = [
    Door(TEXT, path, "admin_user", Risk, _risk_written(path, title=ESCAPED_TITLE), status, CONTROL, what="risk title")
    for path, status in (("page", 400), ("api", 400), ("admin", 200))
]
# A description a page long is the limit: one of 200,000 characters made a page two million pixels wide.
LENGTH_DOORS = [
    Door(LENGTH, path, "admin_user", Risk, _risk_written(path, description="x" * 5_001), status, says,
         what="risk description")
    for path, status, says in (
        ("page", 400, "at most 5000 characters (it has 5001)"),
        ("api", 400, "no more than 5000 characters"),
        ("admin", 200, "at most 5000 characters (it has 5001)"),
    )
]  # fmt: skip


# --- A risk's likelihood and impact run from 1 to 5 -----------------------------------------------------------


def _rated_six(path: str):
    def attempt(w, c):
        risk = m.risk(w)
        if path == "page":
            body = {**m.RISK_FORM, "technology_owner": w.cio.pk, "operations_owner": w.coo.pk, "likelihood": "6"}
            return Send("POST", f"/governance/risks/{risk.pk}/edit/", {**body, "initiatives": [w.initiative_a.pk]})
        if path == "api":
            return Send("PATCH", f"/api/v1/risks/{risk.pk}/", {"likelihood": 6}, json=True)
        url = f"/admin/governance/risk/{risk.pk}/change/"
        return Send("POST", url, admin_form(c, url, likelihood=6))

    return attempt


RATING_DOORS = [
    Door(RATING, path, "admin_user", Risk, _rated_six(path), status, says, what="likelihood 6")
    for path, status, says in (
        ("page", 400, "Likelihood is rated from 1"),
        ("api", 400, "less than or equal to 5"),
        ("admin", 200, "rated from 1 to 5"),
    )
]


# --- The shadow-AI register: what became of a tool, and when it was found ----------------------------------------


def _tool(path: str, changes):
    """Register a tool on the page, the API or the admin, with ``changes`` (a function of the world)."""

    def attempt(w, c):
        values = {**m.TOOL_FORM, **changes(w)}
        if path == "page":
            return Send("POST", "/governance/shadow-ai/new/", values)
        if path == "api":
            promoted = values["promoted_to"]
            body = {**values, "promoted_to": promoted.code if promoted else None}
            return Send("POST", "/api/v1/shadow-ai-tools/", body, json=True)
        url = "/admin/governance/shadowaitool/add/"
        return Send("POST", url, admin_form(c, url, **values))

    return attempt


def _page_value(value):
    return value.pk if hasattr(value, "pk") else value


def _tool_doors(rule, says, what, changes):
    status = {"page": 400, "api": 400, "admin": 200}

    def on_page(w):
        return {name: _page_value(value) for name, value in changes(w).items()}

    attempts = {"page": _tool("page", on_page), "api": _tool("api", changes), "admin": _tool("admin", changes)}
    return [
        Door(rule, path, "admin_user", ShadowAITool, attempts[path], status[path], says, what=what) for path in status
    ]


TOOL_DOORS = [
    *_tool_doors(TOOL, ADOPTED, "adopted without an initiative", lambda w: {"status": "adopted", "promoted_to": ""}),
    *_tool_doors(
        TOOL,
        UNDER_REVIEW,
        "under review while linked to one",
        lambda w: {"status": "under_review", "promoted_to": w.initiative_a},
    ),
]
DATE_DOORS = [
    *_tool_doors(DATES, DISCOVERED, "shadow-AI tool discovered in the future",
                 lambda w: {"discovered_on": m.FUTURE.isoformat()}),
    Door(DATES, "page", "ceo", SharedZoneDecision,
         lambda w, c: Send("POST", f"/governance/shared-zone/{m.with_both_inputs(w).pk}/decide/",
                           {"joint_decision": "Pilot in spring.", "decided_on": m.FUTURE.isoformat()}),
         400, "A decision is dated the day it was taken, today or earlier", what="joint decision dated in the future"),
]  # fmt: skip
YEAR_DOORS = _tool_doors(
    YEARS, OUTSIDE_YEARS, "shadow-AI tool discovered in year 1", lambda w: {"discovered_on": "0001-01-01"}
)


# --- Executive-only inputs ------------------------------------------------------------------------------------


def _zone_page(action: str, make):
    return lambda w, c: Send(
        "POST",
        f"/governance/shared-zone/{make(w).pk}/{action}/",
        {"text": "Typed by the admin"} if action.startswith("input") else {"joint_decision": "Typed by the admin"},
    )


def _zone_admin(make, **typed):
    def attempt(w, c):
        decision = make(w)
        url = f"/admin/governance/sharedzonedecision/{decision.pk}/change/"
        return Send("POST", url, {**admin_form(c, url), **typed})

    return attempt


def _zone_kept(**stored):
    def kept(w, response):
        decision = SharedZoneDecision.objects.get(initiative=w.initiative_a)
        assert {name: getattr(decision, name) for name in stored} == stored

    return kept


SIGN_COO = {"slot": "coo", "comment": "Signed by the CIO in the COO's slot."}


def _answer_page(w, c):
    request = m.request_to(w, w.cio)
    return Send("POST", f"/governance/decisions/{request.pk}/answer/", {"answer": "approved", "note": ""})


def _answer_api(w, c):
    request = m.request_to(w, w.cio)
    return Send("POST", f"/api/v1/decision-requests/{request.pk}/answer/", {"answer": "approved"}, json=True)


def _answer_admin(w, c):
    request = m.request_to(w, w.cio)
    return Send("POST", f"/admin/governance/decisionrequest/{request.pk}/change/", {"answer": "approved"})


def _review_admin(w, c):
    review = m.review_signed_by_cio(w)
    return Send("POST", f"/admin/scoreboard/monthlyreview/{review.pk}/change/", {"coo_comment": "Typed by the admin"})


def _unsigned_brief(w):
    signed = m.signed_brief(w, w.initiative_a)
    DeploymentBrief.objects.filter(pk=signed.pk).update(
        sponsor_signed_by=None, sponsor_signed_at=None, coo_signed_by=None, coo_signed_at=None
    )
    return m.refreshed(signed)


def _brief_sign_page(w, c):
    brief = _unsigned_brief(w)
    body = {"slot": "coo", "read_at": brief.revised_at.isoformat()}
    return Send("POST", f"/initiatives/{w.initiative_a.code}/brief/sign/", body)


def _brief_sign_admin(w, c):
    brief = _unsigned_brief(w)
    url = f"/admin/initiatives/deploymentbrief/{brief.pk}/change/"
    typed = {"coo_signed_by": w.coo.pk, "coo_signed_at_0": m.TODAY.isoformat(), "coo_signed_at_1": "09:00:00"}
    return Send("POST", url, {**admin_form(c, url), **typed, "coo_signed_at": m.moment(m.TODAY)})


def _brief_unsigned(w, response):
    brief = DeploymentBrief.objects.get(initiative=w.initiative_a)
    assert (brief.coo_signed_by, brief.coo_signed_at) == (None, None)


def _annotate_page(w, c):
    body = {"text": "Claims spiked after the storm.", "initiative": w.initiative_a.code}
    return Send("POST", f"/exco/{m.LAST_MONTH:%Y-%m}/kpi/{w.kpi.code}/annotate/", body)


ONLY_CEO = "Only the CEO gives the CEO input"
ONLY_COO = "Only the COO gives the COO input"
ONLY_THEM = "Only the CEO or the COO records the joint decision"
READ_ONLY = "Read-only to an admin in the admin: the value sent is not stored."
RECORD_ONLY = "A record in the admin: it has no change view (the admin refuses outright, without words)."

EXECUTIVE_DOORS = [
    Door(EXECUTIVES, "page", "admin_user", SharedZoneDecision, _zone_page("input/ceo", m.zone_decision), 403, ONLY_CEO,
         what="the CEO's shared-zone input"),
    Door(EXECUTIVES, "page", "admin_user", SharedZoneDecision, _zone_page("input/coo", m.zone_decision), 403, ONLY_COO,
         what="the COO's shared-zone input"),
    Door(EXECUTIVES, "page", "admin_user", SharedZoneDecision, _zone_page("decide", m.with_both_inputs), 403,
         ONLY_THEM, what="the joint decision"),
    Door(EXECUTIVES, "admin", "admin_user", SharedZoneDecision,
         _zone_admin(m.zone_decision, ceo_input="Typed by the admin"), 302, None,
         what="the CEO's shared-zone input", note=READ_ONLY, kept=_zone_kept(ceo_input=""), stores=True),
    Door(EXECUTIVES, "admin", "admin_user", SharedZoneDecision,
         _zone_admin(m.zone_decision, coo_input="Typed by the admin"), 302, None,
         what="the COO's shared-zone input", note=READ_ONLY, kept=_zone_kept(coo_input=""), stores=True),
    Door(EXECUTIVES, "admin", "admin_user", SharedZoneDecision,
         _zone_admin(m.with_both_inputs, joint_decision="Typed by the admin", decided_on=m.TODAY.isoformat()), 302,
         None, what="the joint decision", note=READ_ONLY, kept=_zone_kept(joint_decision="", decided_on=None),
         stores=True),
    Door(EXECUTIVES, "page", "cio", MonthlyReview,
         lambda w, c: Send("POST", f"/exco/{m.LAST_MONTH:%Y-%m}/sign-off/", SIGN_COO), 403,
         "Only the COO signs the COO slot", what="the COO's sign-off slot, by the CIO"),
    Door(EXECUTIVES, "api", "cio", MonthlyReview,
         lambda w, c: Send("POST", f"/api/v1/reviews/{m.LAST_MONTH:%Y-%m}/sign/", SIGN_COO, json=True), 403,
         "Only the COO signs the COO slot", what="the COO's sign-off slot, by the CIO"),
    Door(EXECUTIVES, "admin", "admin_user", MonthlyReview, _review_admin, 403, None,
         what="a month's sign-off", note=RECORD_ONLY),
    Door(EXECUTIVES, "page", "cio", DeploymentBrief, _brief_sign_page, 403, "Only the COO signs this slot",
         what="the COO's signature on a brief, by the CIO"),
    Door(EXECUTIVES, "admin", "admin_user", DeploymentBrief, _brief_sign_admin, 302, None,
         what="the COO's signature on a brief", note=READ_ONLY, kept=_brief_unsigned, stores=True),
    Door(EXECUTIVES, "page", "ceo", Annotation, _annotate_page, 403, "Only the KPI's accountable executives",
         what="a note on a KPI the CEO does not answer for"),
    Door(EXECUTIVES, "page", "coo", DecisionRequest, _answer_page, 403, "who was asked, answers this request",
         what="an answer asked of the CIO, by the COO"),
    Door(EXECUTIVES, "api", "coo", DecisionRequest, _answer_api, 403, "answers this request",
         what="an answer asked of the CIO, by the COO"),
    Door(EXECUTIVES, "admin", "admin_user", DecisionRequest, _answer_admin, 403, None,
         what="a decision request's answer", note=RECORD_ONLY),
]  # fmt: skip


# --- Only a month that has ended is signed off: the month under way has only part of its figures -----------------

SIGN_CIO = {"slot": "cio", "comment": "Looks fine so far."}


def _told(reason: str):
    """The page redirects with the refusal among the messages it queued for the next page."""

    def kept(w, response):
        told = [str(message) for message in get_messages(response.wsgi_request)]
        assert any(reason in message for message in told), told

    return kept


STILL_IN_PROGRESS = "is still in progress: it can be signed off from"
MONTH_ENDED_DOORS = [
    Door(MONTH_ENDED, "page", "cio", MonthlyReview,
         lambda w, c: Send("POST", f"/exco/{m.FIRST_OF_MONTH:%Y-%m}/sign-off/", SIGN_CIO), 302, None,
         what="the month under way, on the ExCo page", note="Back to the month's page, the reason in its messages.",
         kept=_told(STILL_IN_PROGRESS)),
    Door(MONTH_ENDED, "api", "cio", MonthlyReview,
         lambda w, c: Send("POST", f"/api/v1/reviews/{m.FIRST_OF_MONTH:%Y-%m}/sign/", SIGN_CIO, json=True), 400,
         STILL_IN_PROGRESS, what="the month under way"),
    Door(MONTH_ENDED, "admin", "admin_user", MonthlyReview, _review_admin, 403, None,
         what="a month's sign-off", note=RECORD_ONLY),
]  # fmt: skip


# --- Restatements: applied by those who sign the month again, with a reason -------------------------------------

LATE_REASON = {"reason": "The claims warehouse re-sent last month."}
ONLY_SIGNERS = "Only the CIO or the COO applies a restatement"
NEEDS_REASON = "A restatement needs a reason"


def _restate_page(body):
    def attempt(w, c):
        m.restatable_month(w)
        return Send("POST", f"/exco/{m.LAST_MONTH:%Y-%m}/restate/", body)

    return attempt


def _restate_api(body):
    def attempt(w, c):
        m.restatable_month(w)
        return Send("POST", f"/api/v1/reviews/{m.LAST_MONTH:%Y-%m}/restate/", body, json=True)

    return attempt


def _restatement_admin(w, c):
    m.restatable_month(w)
    return Send("POST", "/admin/scoreboard/restatement/add/", {**LATE_REASON, "revision": 1})


def _revision_admin(w, c):
    review = m.restatable_month(w)
    return Send("POST", f"/admin/scoreboard/monthlyreview/{review.pk}/change/", {"revision": 2})


RESTATE_DOORS = [
    Door(RESTATERS, "page", "admin_user", MonthlyReview, _restate_page(LATE_REASON), 403, ONLY_SIGNERS,
         what="by an admin who is no executive"),
    Door(RESTATERS, "page", "ops_lead_a", MonthlyReview, _restate_page(LATE_REASON), 403, ONLY_SIGNERS,
         what="by an ops lead"),
    Door(RESTATERS, "api", "ceo", MonthlyReview, _restate_api(LATE_REASON), 403, ONLY_SIGNERS,
         what="by the CEO, an executive who does not sign"),
    Door(RESTATERS, "admin", "admin_user", Restatement, _restatement_admin, 403, None,
         what="a restatement written in the admin", note=RECORD_ONLY),
    Door(RESTATERS, "admin", "admin_user", MonthlyReview, _revision_admin, 403, None,
         what="a month's revision number", note=RECORD_ONLY),
    Door(RESTATE_REASON, "page", "cio", MonthlyReview, _restate_page({"reason": "  "}), 302, None,
         note="Back to the month's page, the reason in its messages.", kept=_told(NEEDS_REASON)),
    Door(RESTATE_REASON, "api", "coo", MonthlyReview, _restate_api({"reason": ""}), 400, NEEDS_REASON),
    Door(RESTATE_REASON, "admin", "admin_user", Restatement, _restatement_admin, 403, None,
         what="a restatement written in the admin", note=RECORD_ONLY),
]  # fmt: skip


# --- The expansion pipeline's inputs ----------------------------------------------------------------------------


def _scores_page(w, c):
    return Send(
        "POST", f"/governance/pipeline/{w.initiative_a.code}/inputs/", {**m.SCORES, "management_bandwidth": "6"}
    )


def _scores_admin(w, c):
    url = "/admin/initiatives/prioritisationinput/add/"
    data = admin_form(c, url, initiative=w.initiative_a, **{**m.SCORES, "management_bandwidth": "6"})
    return Send("POST", url, data)


SCORE_DOORS = [
    Door(SCORES, "page", "admin_user", PrioritisationInput, _scores_page, 400,
         "Management bandwidth is scored from 1 to 5"),
    Door(SCORES, "admin", "admin_user", PrioritisationInput, _scores_admin, 200, "less than or equal to 5"),
]  # fmt: skip


DOORS = [
    *OWNER_DOORS,
    *TEXT_DOORS,
    *LENGTH_DOORS,
    *RATING_DOORS,
    *TOOL_DOORS,
    *DATE_DOORS,
    *YEAR_DOORS,
    *EXECUTIVE_DOORS,
    *MONTH_ENDED_DOORS,
    *RESTATE_DOORS,
    *SCORE_DOORS,
]
