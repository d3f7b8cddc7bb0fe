"""A version of thousands of decisions shows one process at a time, the version in force and the
draft's editable grid alike, with an index of its processes and the whole version's decisions
outside their bounds; a small version stays one page. Each page costs a fixed number of queries."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from governance.models import MatrixDecision
from governance.views.matrix import WHOLE_GRID_UP_TO
from tests import factories
from tests.governance.matrix_helpers import monitored, published, snapshot

pytestmark = pytest.mark.django_db

PROCESSES = ("Claims intake", "Fraud review", "Payments", "Underwriting")


def _large(version, kpi, initiative, *, size=WHOLE_GRID_UP_TO + 40, figure=True):
    """``size`` decisions spread over four processes; every tenth one watched, breaching at 3."""
    rows = []
    for n in range(size):
        fields = {"version": version, "key": f"decision-{n:04d}", "process": PROCESSES[n % len(PROCESSES)]}
        if n % 10 == 0:
            fields |= {"monitoring_kpi": kpi, "breach_threshold": Decimal("3"), "breach_when": "above"}
        rows.append(factories.MatrixDecisionFactory.build(**fields, initiative=initiative))
    MatrixDecision.objects.bulk_create(rows)
    if figure:
        snapshot(kpi, 4, initiative=initiative)  # above 3: every watched decision is outside its bounds


def _keys(page: str) -> set[str]:
    return set(re.findall(r'data-key="([^"]+)"', page))


@pytest.fixture
def in_force(admin_user, coo, kpi, initiative_a):
    version = published(admin_user, coo)
    _large(version, kpi, initiative_a)
    return version


def test_a_large_version_shows_its_first_process_and_an_index_of_all(client, cio, in_force):
    client.force_login(cio)

    page = client.get(reverse("governance:matrix")).content.decode()

    first = set(MatrixDecision.objects.filter(process="Claims intake").values_list("key", flat=True))
    assert _keys(page) == first
    assert 'id="processes"' in page
    for process in PROCESSES[1:]:
        assert f'href="?process={process.replace(" ", "%20")}"' in page


def test_a_process_chosen_in_the_index_shows_only_its_decisions(client, cio, in_force):
    client.force_login(cio)

    page = client.get(reverse("governance:matrix"), {"process": "Payments"}).content.decode()

    assert _keys(page) == set(MatrixDecision.objects.filter(process="Payments").values_list("key", flat=True))
    assert '<strong id="shown-process">Payments</strong>' in page


def test_an_unknown_process_shows_the_first_one(client, cio, in_force):
    client.force_login(cio)

    page = client.get(reverse("governance:matrix"), {"process": "No such process"})

    assert page.status_code == 200
    assert '<strong id="shown-process">Claims intake</strong>' in page.content.decode()


def test_the_decisions_outside_their_bounds_are_counted_for_the_whole_version(client, cio, in_force):
    client.force_login(cio)

    page = client.get(reverse("governance:matrix")).content.decode()

    watched = MatrixDecision.objects.filter(version=in_force, monitoring_kpi__isnull=False)
    assert f"{watched.count()} decisions outside their bounds" in page
    summary = page[page.index('id="outside-bounds"') : page.index('id="processes"')]
    listed = set(re.findall(r'href="#decision-(\d+)"', summary))
    assert listed == {str(pk) for pk in watched.filter(process="Claims intake").values_list("pk", flat=True)}
    for process in PROCESSES[1:]:
        outside = watched.filter(process=process).count()
        counts = f"· 60 · {outside} outside" if outside else "· 60"
        assert f'{process}</a> <span class="muted small">{counts}</span>' in page


def test_the_drafts_editable_grid_is_paged_by_process_too(client, admin_user, coo, kpi, initiative_a):
    published(admin_user, coo)
    draft = factories.MatrixVersionFactory(number=2, created_by=admin_user)
    _large(draft, kpi, initiative_a)
    client.force_login(admin_user)

    page = client.get(reverse("governance:matrix-version", args=[2]), {"process": "Fraud review"}).content.decode()

    assert _keys(page) == set(MatrixDecision.objects.filter(process="Fraud review").values_list("key", flat=True))
    assert "data-edit-url" in page
    assert f"This draft has {WHOLE_GRID_UP_TO + 40} decisions" in page


def test_a_small_version_is_one_page_without_an_index(client, cio, admin_user, coo, kpi, initiative_a):
    version = published(admin_user, coo)
    for n, process in enumerate(PROCESSES):
        monitored(version, kpi, key=f"small-{n}", process=process)
    client.force_login(cio)

    page = client.get(reverse("governance:matrix")).content.decode()

    assert _keys(page) == {f"small-{n}" for n in range(len(PROCESSES))}
    assert 'id="processes"' not in page


@pytest.mark.parametrize("size", [WHOLE_GRID_UP_TO + 1, 3 * WHOLE_GRID_UP_TO])
def test_a_large_version_costs_a_fixed_number_of_queries(
    client, cio, admin_user, coo, kpi, initiative_a, django_assert_max_num_queries, size
):
    version = published(admin_user, coo)
    _large(version, kpi, initiative_a, size=size)
    draft = factories.MatrixVersionFactory(number=2, created_by=admin_user)
    _large(draft, kpi, initiative_a, size=size, figure=False)
    client.force_login(cio)
    # The session, the user and their roles (3); the version in force, the versions, its processes, the
    # process's grid with its figures, the whole version's decisions outside their bounds; its history (3)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("governance:matrix"), {"process": "Payments"}).status_code == 200
    client.force_login(admin_user)
    with django_assert_max_num_queries(14):  # and the KPIs its monitoring cells offer
        assert client.get(reverse("governance:matrix-version", args=[2])).status_code == 200
