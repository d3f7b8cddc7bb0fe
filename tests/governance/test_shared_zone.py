"""The shared-zone decisions: grouped by topic, the CEO's and the COO's inputs each given only by
them, the joint decision once both are in, nothing changed once decided, and decisions added and
corrected by admins, who give no input."""

import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from governance.models import SharedZoneDecision
from governance.services import registers
from tests.governance.register_helpers import SHARED_ZONE, _zone

pytestmark = pytest.mark.django_db


# --- Shared-zone decisions -----------------------------------------------------------------------------


def test_shared_zone_groups_decisions_by_topic_with_both_inputs_the_decision_and_its_date(client, cio, initiative_a):
    _zone(
        "AI budget",
        topic="investment_level",
        ceo_input="Keep spend flat.",
        coo_input="Fund reskilling.",
        joint_decision="€4.2m with €0.6m for reskilling.",
        decided_on=date(2026, 8, 18),
    )
    _zone("Redeployment", topic="workforce_commitment", initiative=initiative_a, ceo_input="Nobody loses their job.")
    client.force_login(cio)

    html = client.get(SHARED_ZONE).content.decode()

    topics = re.findall(r'<section class="topic" id="topic-(\w+)">', html)
    assert topics == ["investment_level", "timeline", "success_metrics", "workforce_commitment"]
    investment = html[html.index('id="topic-investment_level"') : html.index('id="topic-timeline"')]
    for shown in (
        "AI budget",
        "Keep spend flat.",
        "Fund reskilling.",
        "€4.2m with €0.6m for reskilling.",
        "18 Aug 2026",
    ):
        assert shown in investment
    workforce = html[html.index('id="topic-workforce_commitment"') :]
    assert "Waiting for the COO input" in workforce
    assert f'href="/initiatives/{initiative_a.code}/"' in workforce
    assert (
        "<form" not in html.split('<main id="main" tabindex="-1">')[1].split("</main>")[0]
    )  # the CIO gives no input here


def test_the_ceo_gives_the_ceo_input_and_only_that(client, ceo):
    decision = _zone()
    client.force_login(ceo)

    given = client.post(f"{SHARED_ZONE}{decision.pk}/input/ceo/", {"text": "Before the renewals."})
    refused = client.post(f"{SHARED_ZONE}{decision.pk}/input/coo/", {"text": "Written by the CEO."})

    assert given.status_code == 302
    assert refused.status_code == 403
    decision.refresh_from_db()
    assert (decision.ceo_input, decision.coo_input) == ("Before the renewals.", "")
    record = decision.history.latest()
    assert record.history_change_reason == f"CEO input given by {ceo}"
    assert record.history_user == ceo


def test_the_coo_gives_the_coo_input_and_only_that(client, coo):
    decision = _zone(ceo_input="Before the renewals.")
    client.force_login(coo)

    refused = client.post(f"{SHARED_ZONE}{decision.pk}/input/ceo/", {"text": "Written by the COO."})
    given = client.post(f"{SHARED_ZONE}{decision.pk}/input/coo/", {"text": "After the renewals."})

    assert (refused.status_code, given.status_code) == (403, 302)
    decision.refresh_from_db()
    assert (decision.ceo_input, decision.coo_input) == ("Before the renewals.", "After the renewals.")
    assert decision.history.latest().history_change_reason == f"COO input given by {coo}"


def test_the_ceo_revises_their_input_and_the_history_says_so(ceo):
    decision = _zone(ceo_input="Before the renewals.")

    registers.shared_zone_input_give(decision=decision, by=ceo, side="ceo", text="In the spring.")

    decision.refresh_from_db()
    assert decision.ceo_input == "In the spring."
    assert decision.history.latest().history_change_reason == f"CEO input revised by {ceo}"


@pytest.mark.parametrize("persona", ["cio", "ops_lead_a", "admin_user"])
def test_nobody_but_the_ceo_and_the_coo_gives_an_input_or_decides(request, persona):
    user = request.getfixturevalue(persona)
    decision = _zone(ceo_input="Before the renewals.", coo_input="After them.")
    open_decision = _zone("Budget", topic="investment_level")

    for side in ("ceo", "coo"):
        with pytest.raises(PermissionDenied, match=f"Only the {side.upper()} gives the {side.upper()} input"):
            registers.shared_zone_input_give(decision=open_decision, by=user, side=side, text="Mine.")
    with pytest.raises(PermissionDenied, match="Only the CEO or the COO records the joint decision"):
        registers.shared_zone_decide(decision=decision, by=user, joint_decision="Pilot in spring.")

    assert list(SharedZoneDecision.objects.order_by("pk").values_list("ceo_input", "coo_input", "joint_decision")) == [
        ("Before the renewals.", "After them.", ""),
        ("", "", ""),
    ]


@pytest.mark.parametrize(
    ("inputs", "missing"),
    [
        ({}, "The CEO and the COO inputs are missing"),
        ({"ceo_input": "Before the renewals."}, "The COO input is missing"),
        ({"coo_input": "After them."}, "The CEO input is missing"),
    ],
)
def test_the_joint_decision_is_refused_until_both_inputs_are_in_naming_the_missing_one(client, ceo, inputs, missing):
    decision = _zone(**inputs)
    client.force_login(ceo)

    response = client.post(f"{SHARED_ZONE}{decision.pk}/decide/", {"joint_decision": "Pilot in spring."})
    with pytest.raises(ValidationError) as refusal:
        registers.shared_zone_decide(decision=decision, by=ceo, joint_decision="Pilot in spring.")

    assert response.status_code == 400
    assert missing in response.content.decode()
    assert refusal.value.message_dict["joint_decision"][0].startswith(missing)
    decision.refresh_from_db()
    assert (decision.joint_decision, decision.decided_on, decision.history.count()) == ("", None, 1)


@pytest.mark.parametrize("persona", ["ceo", "coo"])
def test_the_ceo_or_the_coo_records_the_joint_decision_dated_today_by_default(client, request, persona):
    user = request.getfixturevalue(persona)
    decision = _zone(ceo_input="Before the renewals.", coo_input="After them.")
    client.force_login(user)

    response = client.post(
        f"{SHARED_ZONE}{decision.pk}/decide/", {"joint_decision": "Pilot in spring.", "decided_on": ""}
    )

    assert response.status_code == 302
    decision.refresh_from_db()
    assert (decision.joint_decision, decision.decided_on) == ("Pilot in spring.", timezone.localdate())
    assert decision.history.latest().history_change_reason == f"Joint decision recorded by {user}"


def test_the_joint_decision_keeps_the_date_given(coo):
    decision = _zone(ceo_input="Before the renewals.", coo_input="After them.")

    registers.shared_zone_decide(decision=decision, by=coo, joint_decision="Spring.", decided_on=date(2026, 3, 2))

    decision.refresh_from_db()
    assert decision.decided_on == date(2026, 3, 2)


def test_a_joint_decision_dated_in_the_future_is_refused(client, ceo):
    decision = _zone(ceo_input="Before the renewals.", coo_input="After them.")
    client.force_login(ceo)
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = client.post(
        f"{SHARED_ZONE}{decision.pk}/decide/", {"joint_decision": "Spring.", "decided_on": tomorrow.isoformat()}
    )

    assert response.status_code == 400
    assert "today or earlier" in response.content.decode()
    decision.refresh_from_db()
    assert decision.joint_decision == ""


def test_once_decided_neither_the_inputs_nor_the_decision_change(ceo, coo):
    decision = _zone(ceo_input="Before.", coo_input="After.", joint_decision="Spring.", decided_on=date(2026, 3, 2))

    with pytest.raises(ValidationError) as input_refusal:
        registers.shared_zone_input_give(decision=decision, by=ceo, side="ceo", text="Now I think otherwise.")
    with pytest.raises(ValidationError) as decision_refusal:
        registers.shared_zone_decide(decision=decision, by=coo, joint_decision="Autumn.")

    assert "recorded on 2 Mar 2026" in input_refusal.value.message_dict["ceo_input"][0]
    assert "already recorded on 2 Mar 2026" in decision_refusal.value.message_dict["joint_decision"][0]
    decision.refresh_from_db()
    assert (decision.ceo_input, decision.joint_decision, decision.history.count()) == ("Before.", "Spring.", 1)


def test_an_empty_input_is_refused_and_shown_at_its_decision(client, ceo):
    decision = _zone()
    client.force_login(ceo)

    response = client.post(f"{SHARED_ZONE}{decision.pk}/input/ceo/", {"text": "   "})

    assert response.status_code == 400
    card = response.content.decode().split(f'id="decision-{decision.pk}"')[1]
    assert "CEO input · Your input: Write your input: it cannot be empty." in card
    decision.refresh_from_db()
    assert decision.ceo_input == ""


def test_admin_adds_and_corrects_a_decision_but_gives_no_input(client, admin_user, initiative_a):
    client.force_login(admin_user)

    added = client.post(
        f"{SHARED_ZONE}new/", {"topic": "investment_level", "title": "Budget", "initiative": initiative_a.pk}
    )
    decision = SharedZoneDecision.objects.get()
    corrected = client.post(
        f"{SHARED_ZONE}{decision.pk}/edit/", {"topic": "timeline", "title": "Go-live", "initiative": ""}
    )
    refused = client.post(f"{SHARED_ZONE}{decision.pk}/input/ceo/", {"text": "From the admin."})

    assert (added.status_code, corrected.status_code, refused.status_code) == (302, 302, 403)
    decision.refresh_from_db()
    assert (decision.topic, decision.title, decision.initiative, decision.ceo_input) == (
        "timeline",
        "Go-live",
        None,
        "",
    )
    assert decision.history.latest().history_change_reason == f"Corrected by {admin_user}"


def test_an_unknown_topic_is_refused_on_its_field(client, admin_user):
    client.force_login(admin_user)

    response = client.post(f"{SHARED_ZONE}new/", {"topic": "weather", "title": "Budget", "initiative": ""})

    assert response.status_code == 400
    assert "topic" in response.context["form"].errors
    assert not SharedZoneDecision.objects.exists()


@pytest.mark.parametrize("persona", ["ceo", "cio", "ops_lead_a"])
def test_only_admins_add_or_correct_shared_zone_decisions(request, persona):
    user = request.getfixturevalue(persona)
    decision = _zone()

    with pytest.raises(PermissionDenied, match="Only admins add"):
        registers.shared_zone_decision_save(by=user, data={"topic": "timeline", "title": "Mine", "initiative": None})
    with pytest.raises(PermissionDenied, match="Only admins correct"):
        registers.shared_zone_decision_save(by=user, decision=decision, data={"title": "Renamed"})

    assert list(SharedZoneDecision.objects.values_list("title", flat=True)) == [decision.title]
