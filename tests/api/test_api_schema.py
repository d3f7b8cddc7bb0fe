"""Schemathesis against the live OpenAPI schema: requests generated from /api/schema/ are
sent to the running application (in process, on the test database) as an admin's machine
client. No answer may be a server error, and every answer must match what the schema says
about its status code, content type and body."""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from scoreboard.services import token_issue
from scoreboard.wsgi import application
from tests import factories

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


# The schema /api/schema/ serves (to signed-in clients), from the same generator, read when
# the module is collected (it needs no database); requests then go to the application itself.
schema = schemathesis.openapi.from_dict(
    json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
)
schema.app = application


@pytest.fixture
def connection_kept_open():
    """What Django's own test client does: a request ending must not close the database
    connection, whose open transaction holds the test's data."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_key(db, connection_kept_open, admin_user, cio, coo, ops_lead_a):
    # Something to read and to point at: a KPI, an initiative and a measurement.
    initiative = factories.InitiativeFactory(code="claims-triage", technology_owner=cio, operations_owner=coo)
    initiative.ops_leads.add(ops_lead_a)
    kpi = factories.KPIFactory(code="automation-rate", accountable_executive=cio, co_accountable_executive=coo)
    factories.MeasurementFactory(kpi=kpi, initiative=initiative)
    _, key = token_issue(user=admin_user, name="schemathesis")
    return key


@schema.parametrize()
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_generated_request_gets_a_documented_answer_and_no_server_error(case, admin_key):
    case.call_and_validate(headers={"Authorization": f"Token {admin_key}"}, checks=CHECKS)
