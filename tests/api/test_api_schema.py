"""Schemathesis against the live OpenAPI schema: requests generated from /api/schema/ are
sent to the application (in process, on the test database) as an admin's machine client.
No answer may be a server error, and every answer must match what the schema says about its
status code, content type and body.

Three of Schemathesis' phases run for every operation (issue 15):

- examples: the schema's own examples, where it has any;
- coverage: every boundary and every kind of wrong value the schema lets it name (missing,
  extra and repeated parameters, wrong types, too long, out of range, unexpected methods). It
  enumerates them, so it has no budget; repeating a query parameter is on because a list where
  one code belongs is the hostile input the issue names;
- fuzzing: FUZZ_BUDGET requests per operation drawn at random, valid and invalid alike.

(@schema.parametrize() never runs the stateful phase: that is schema.as_state_machine().)

Generation is seeded with SEED (Schemathesis mixes in each operation's name) and keeps no
example database, so every run, here and in CI, sends the same requests: a failure reproduces,
and a pass means the same thing each time. The budget is what keeps the file near two and a
half minutes on two cores (about a minute of it is the coverage phase). To look further, raise
the budget or change the seed locally, and keep what that finds as an example test.
"""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from scoreboard.services import token_issue
from scoreboard.wsgi import application
from tests import factories

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

SEED = 15
FUZZ_BUDGET = 50

# Here rather than in a schemathesis.toml, which Schemathesis looks for from the directory pytest
# starts in: these hold wherever it starts, and no other file changes them.
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        # The function-scoped fixture runs once per operation, on purpose; slow or filtered
        # generation is not a failure of the application.
        "suppress-health-check": ["all"],
        # Derandomized as Hypothesis' CI profile would make it anyway (the seed still decides), and
        # no database of earlier runs' failures to replay: a run here is the run CI makes.
        "generation": {"deterministic": True, "database": "none"},
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True, "generate-duplicate-query-parameters": True},
            "fuzzing": {"enabled": True, "generation": {"max-examples": FUZZ_BUDGET}},
        },
    }
)

# The schema /api/schema/ serves (to signed-in clients), from the same generator, read when
# the module is collected (it needs no database); requests then go to the application itself.
schema = schemathesis.openapi.from_dict(
    json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True))),
    config=CONFIG,
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
def test_every_generated_request_gets_a_documented_answer_and_no_server_error(case, admin_key):
    case.call_and_validate(headers={"Authorization": f"Token {admin_key}"}, checks=CHECKS)
