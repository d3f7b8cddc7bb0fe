"""Defining a governance gate (governance.services.gates.gate_define): admins only, a gate stays
with its initiative and kind, and a gate recorded done keeps the words it was checked against."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from governance.models import GovernanceGate
from governance.services.gates import gate_define, gate_delete
from tests import factories

pytestmark = pytest.mark.django_db


def test_an_admin_defines_a_gate_and_its_words_and_an_ops_lead_cannot(admin_user, ops_lead_a, initiative_a):
    data = {"initiative": initiative_a, "kind": "testing", "description": "Replay last month's claims."}
    with pytest.raises(PermissionDenied):
        gate_define(by=ops_lead_a, data=data)

    gate = gate_define(by=admin_user, data=data)

    assert (gate.kind, gate.description) == ("testing", "Replay last month's claims.")


def test_a_gate_done_keeps_its_words_but_a_save_that_leaves_them_alone_passes(admin_user, initiative_a):
    gate = factories.GovernanceGateFactory(
        initiative=initiative_a, description="Replay", done_by=admin_user, done_at=timezone.now()
    )

    with pytest.raises(ValidationError) as refused:
        gate_define(by=admin_user, gate=gate, data={"description": "Something else"})
    assert "keeps the words" in refused.value.message_dict["description"][0]

    assert gate_define(by=admin_user, gate=gate, data={}).description == "Replay"


def test_a_gate_done_is_not_deleted(admin_user, initiative_a):
    gate = factories.GovernanceGateFactory(initiative=initiative_a, done_by=admin_user, done_at=timezone.now())

    with pytest.raises(ValidationError):
        gate_delete(by=admin_user, gate=gate)

    assert GovernanceGate.objects.filter(pk=gate.pk).exists()
