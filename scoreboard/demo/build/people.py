"""The demo people: created, or brought back to their demo state when they exist."""

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from scoreboard.models import Role, User

from ..data.people import DEMO_PASSWORD, PEOPLE
from .context import Context


def build_people(ctx: Context) -> dict[str, User]:
    # One hash for all six: they share a published password, and hashing is the slow part.
    password = make_password(DEMO_PASSWORD)
    groups = {role: Group.objects.get_or_create(name=role.value)[0] for role in Role}
    people = {}
    for person in PEOPLE:
        user, _ = User.objects.update_or_create(
            username=person.username,
            defaults={
                "first_name": person.first_name,
                "last_name": person.last_name,
                "email": person.email,
                "executive_title": person.title,
                "is_staff": person.role == Role.ADMIN,
                "is_superuser": False,
                "is_active": True,
                "password": password,
            },
        )
        user.groups.set([groups[person.role]])
        people[person.username] = user
    return people
