"""Who a signed-in session is: the user and their roles read in one query on every request
(scoreboard/auth_backends.py), and never a stale role or a deactivated user."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from scoreboard.auth_backends import PasswordBackend, signed_in_user
from scoreboard.models import Role
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_sessions_user_comes_with_their_roles_in_one_query(django_assert_num_queries):
    person = factories.executive(username="both", title="CIO")
    Group.objects.get(name=Role.ADMIN.value).user_set.add(person)

    with django_assert_num_queries(1):
        user = PasswordBackend().get_user(person.pk)
        assert user.role_names == {Role.EXECUTIVE.value, Role.ADMIN.value}
        assert user.is_executive
        assert user.is_scoreboard_admin
        assert not user.is_ops_lead


def test_a_user_in_no_group_has_no_role_and_a_deactivated_one_no_session(django_assert_num_queries):
    nobody = factories.UserFactory(username="nobody")
    gone = factories.executive(username="gone", title="COO")
    gone.is_active = False
    gone.save()

    with django_assert_num_queries(1):
        assert signed_in_user(nobody.pk).role_names == frozenset()
    assert signed_in_user(gone.pk) is None
    assert signed_in_user(10**9) is None


def test_a_role_taken_away_shows_on_the_next_request(client, ops_lead_a):
    client.force_login(ops_lead_a)
    assert client.get(reverse("workspace:home")).status_code == 200

    Group.objects.get(name=Role.OPS_LEAD.value).user_set.remove(ops_lead_a)

    assert client.get(reverse("workspace:home")).status_code == 403
