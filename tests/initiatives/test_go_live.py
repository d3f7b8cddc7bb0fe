"""An actual go-live is a day that has come (issue 16, item 4): a date ahead is refused on every
path (tests/doors), and one stored before the rule counts no time to value."""

from datetime import timedelta

import pytest
from django.utils import timezone

from initiatives.models import Initiative

pytestmark = pytest.mark.django_db


def test_a_go_live_stored_ahead_before_the_rule_counts_no_time_to_value(initiative_a):
    today = timezone.localdate()
    Initiative.objects.filter(pk=initiative_a.pk).update(
        started_on=today - timedelta(days=100), actual_go_live=today + timedelta(days=1388)
    )

    assert Initiative.objects.get(pk=initiative_a.pk).time_to_value_days is None


def test_a_go_live_today_counts_the_days_since_the_start(initiative_a):
    today = timezone.localdate()
    Initiative.objects.filter(pk=initiative_a.pk).update(started_on=today - timedelta(days=100), actual_go_live=today)

    assert Initiative.objects.get(pk=initiative_a.pk).time_to_value_days == 100
