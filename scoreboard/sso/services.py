"""The rules of signing in: who may use a password, and what an SSO sign-in does.

An SSO sign-in finds the person by the provider's issuer and subject, refuses a person
deactivated here or one whose groups map to no role (storing nothing), creates the user on their
first sign-in and keeps their roles in step with the provider's groups at every sign-in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from scoreboard import versions
from scoreboard.models import ExecutiveTitle, Role, User

from .config import parse_role_map
from .models import SSOIdentity


class SignInRefused(Exception):
    """A sign-in refused, with the reason and whom to ask, in words for the person refused."""

    def __init__(self, reason: str, *, ask: str = "", status: int = 403):
        super().__init__(reason)
        self.reason = reason
        self.ask = ask
        self.status = status


# --- Password sign-in ------------------------------------------------------------------------


def password_sign_in_allowed(username: str | None) -> bool:
    """Anyone may sign in with a password unless PASSWORD_LOGIN is off; then only the break-glass
    admin (BREAK_GLASS_ADMIN) may, for the day the provider is down."""
    if settings.PASSWORD_LOGIN:
        return True
    return bool(settings.BREAK_GLASS_ADMIN) and username == settings.BREAK_GLASS_ADMIN


def password_sign_in_refusal() -> str:
    """What a person whose password sign-in is refused reads."""
    return (
        f"Password sign-in is turned off here: use “Sign in with {settings.OIDC_PROVIDER_NAME}” instead. "
        "Only the break-glass admin account may sign in with a password."
    )


# --- Roles from the provider's claim --------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    """The roles (group names) and executive seat a person's claim gives them here."""

    roles: frozenset[str]
    title: str = ""


def grant_from_claims(claims: Mapping, *, claim: str, role_map: Mapping[str, tuple[str, str]]) -> Grant:
    """The roles the values of ``claims[claim]`` map to. A claim may be a list of values or one
    value; values the map does not name are ignored. When groups give different executive seats,
    the first in the map's order wins."""
    values = claims.get(claim)
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list | tuple):
        values = []
    held = {str(value) for value in values}
    roles: set[str] = set()
    title = ""
    for value, (role, seat) in role_map.items():
        if value in held:
            roles.add(role)
            title = title or seat
    return Grant(frozenset(roles), title if Role.EXECUTIVE.value in roles else "")


def configured_grant(claims: Mapping) -> Grant:
    return grant_from_claims(claims, claim=settings.OIDC_ROLES_CLAIM, role_map=parse_role_map(settings.OIDC_ROLE_MAP))


def whom_to_ask() -> str:
    """The scoreboard's admins, by name: the people who keep users and roles."""
    admins = User.objects.filter(is_active=True, groups__name=Role.ADMIN.value).order_by("last_name", "username")
    names = [str(user) for user in admins[:3]]
    if not names:
        return "Ask whoever runs the AI scoreboard for your company."
    return f"Ask an admin of the AI scoreboard: {', '.join(names)}."


# --- An SSO sign-in ---------------------------------------------------------------------------------


def sso_sign_in(*, issuer: str, claims: Mapping) -> User:
    """The user this verified provider account signs in as, created on their first sign-in, with
    their roles and executive seat set from the roles claim (a group removed at the provider
    removes the role here). Refused, storing nothing, when the user is deactivated here or when
    none of their groups maps to a role."""
    subject = str(claims.get("sub") or "")
    if not subject:
        raise SignInRefused("The sign-in provider did not say who you are (no subject).", ask=whom_to_ask())
    with transaction.atomic():
        identities = SSOIdentity.objects.select_for_update().select_related("user")
        identity = identities.filter(issuer=issuer, subject=subject).first()
        user = identity.user if identity else None
        if user is not None and not user.is_active:
            raise SignInRefused(
                f"Your account here ({user.get_username()}) is deactivated, so signing in with "
                f"{settings.OIDC_PROVIDER_NAME} no longer lets you in.",
                ask=whom_to_ask() + " They can reactivate it.",
            )
        grant = configured_grant(claims)
        if not grant.roles:
            provider = settings.OIDC_PROVIDER_NAME
            raise SignInRefused(
                f"You signed in with {provider}, but none of your groups there gives you a role "
                "in the AI scoreboard (executive, ops lead or admin).",
                ask=whom_to_ask() + f" They can have you added to the scoreboard's groups at {provider}.",
            )
        if user is None:
            user = User(username=_free_username(claims, subject))
            user.set_unusable_password()  # signs in through the provider only; no password to reset
            identity = SSOIdentity(user=user, issuer=issuer, subject=subject)
        shown = str(user) if user.pk else None
        _profile_from_claims(user, claims, grant)
        user.save()
        if shown is not None and str(user) != shown:
            versions.bump()  # the name or seat every month's ExCo page shows for them
        identity.user = user
        identity.last_sign_in_at = timezone.now()
        identity.save()
        roles_sync(user, grant)
    return user


def roles_sync(user: User, grant: Grant) -> None:
    """The user's role groups become exactly the grant's; groups that are not roles are left alone."""
    wanted = [Group.objects.get_or_create(name=name)[0] for name in sorted(grant.roles)]
    user.groups.remove(*Group.objects.filter(name__in=Role.values).exclude(name__in=grant.roles))
    user.groups.add(*wanted)
    user.__dict__.pop("role_names", None)  # cached for the request: read afresh


def _profile_from_claims(user: User, claims: Mapping, grant: Grant) -> None:
    user.executive_title = grant.title if grant.title in ExecutiveTitle.values else ""
    # The Django admin is for admins only.
    user.is_staff = Role.ADMIN.value in grant.roles
    for field, claim in (("first_name", "given_name"), ("last_name", "family_name"), ("email", "email")):
        value = claims.get(claim)
        if isinstance(value, str) and value:
            setattr(user, field, value[: User._meta.get_field(field).max_length])


_NOT_IN_USERNAME = re.compile(r"[^\w.@+-]")


def _free_username(claims: Mapping, subject: str) -> str:
    """A readable username nobody has: the provider's preferred username or e-mail, else the subject."""
    for candidate in (claims.get("preferred_username"), claims.get("email"), subject):
        base = _NOT_IN_USERNAME.sub("", str(candidate or ""))[:140]
        if base:
            break
    username, n = base, 1
    # Never the break-glass admin's name, even before that account exists.
    while User.objects.filter(username__iexact=username).exists() or username == settings.BREAK_GLASS_ADMIN:
        n += 1
        username = f"{base}-{n}"
    return username
