"""Counts agree with their nouns (issue 19, item 7): "1 day", never "1 days"."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from initiatives.models import Initiative

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("days", "said"), [(1, "1 day"), (2, "2 days")])
def test_the_time_to_value_agrees_with_its_count(client, coo, initiative_a, days, said):
    today = timezone.localdate()
    Initiative.objects.filter(pk=initiative_a.pk).update(started_on=today - timedelta(days=days), actual_go_live=today)
    client.force_login(coo)

    page = client.get(reverse("initiatives:detail", args=[initiative_a.code])).content.decode()

    assert f"<dt>Time to value</dt><dd>{said}</dd>" in page
