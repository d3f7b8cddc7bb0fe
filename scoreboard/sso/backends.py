"""The authentication backends of sign-in: the password gate and the OpenID Connect backend."""

from __future__ import annotations

import logging

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from .. import auth_backends
from . import discovery
from .services import SignInRefused, password_sign_in_allowed, password_sign_in_refusal, sso_sign_in, whom_to_ask

log = logging.getLogger(__name__)


class PasswordSignInGate(BaseBackend):
    """Refuses every password sign-in but the break-glass admin's when PASSWORD_LOGIN is off.

    A backend, before Django's ModelBackend, so that every door that checks a password is held:
    the sign-in page, the Django admin's login, and anything else calling ``authenticate()``.
    Raising PermissionDenied stops the other backends and records a failed sign-in (django-axes)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if password is None:
            return None  # not a password sign-in
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if not password_sign_in_allowed(username):
            raise PermissionDenied(password_sign_in_refusal())
        return None


def _refused(reason: str) -> SignInRefused:
    log.warning("SSO sign-in refused: %s", reason)
    return SignInRefused(
        f"{settings.OIDC_PROVIDER_NAME} sent a sign-in this scoreboard cannot trust: {reason} Nothing was stored.",
        ask=whom_to_ask() + " If it happens again, tell them: the provider or its configuration needs a look.",
    )


class OIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend, with the provider's endpoints from discovery and every check
    of the ID token our own: the library checks the signature (with the key of the provider's
    JWKS, the algorithm pinned), ``exp`` and the nonce, but not the audience nor the issuer, and it
    lets an expired token escape as an error. Users are found by issuer and subject
    (``services.sso_sign_in``), never by e-mail as the library would.

    It grants no permissions itself (rules and ModelBackend do) and loads only active users."""

    def __init__(self, *args, **kwargs):
        # The library reads the endpoints here, on every request of a signed-in user; we read
        # them from discovery only when someone signs in.
        self.UserModel = get_user_model()

    # The library's settings, as the attributes it reads.
    OIDC_RP_IDP_SIGN_KEY = None

    @property
    def OIDC_RP_CLIENT_ID(self):  # the library's name
        return settings.OIDC_RP_CLIENT_ID

    @property
    def OIDC_RP_CLIENT_SECRET(self):
        return settings.OIDC_RP_CLIENT_SECRET

    @property
    def OIDC_RP_SIGN_ALGO(self):
        return settings.OIDC_RP_SIGN_ALGO

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self):
        return discovery.provider().token_endpoint

    @property
    def OIDC_OP_USER_ENDPOINT(self):
        return discovery.provider().userinfo_endpoint

    @property
    def OIDC_OP_JWKS_ENDPOINT(self):
        return discovery.provider().jwks_uri

    def authenticate(self, request, **kwargs):
        # Only the callback's call (it passes the nonce); never a password sign-in.
        if not discovery.sso_enabled() or request is None or "password" in kwargs or "nonce" not in kwargs:
            return None
        return super().authenticate(request, **kwargs)

    def verify_token(self, token, **kwargs):
        """The ID token's claims, once its signature, algorithm, issuer, audience, expiry and nonce
        are checked; SignInRefused naming the first check that fails."""
        provider = discovery.provider()
        try:
            # HS256 and its kin are signed with the client secret; the others with a published key.
            hmac = settings.OIDC_RP_SIGN_ALGO.startswith("HS")
            key = settings.OIDC_RP_CLIENT_SECRET if hmac else self.retrieve_matching_jwk(token)
        except (SuspiciousOperation, jwt.PyJWTError, KeyError, TypeError):
            raise _refused("its ID token is signed with a key the provider does not publish.") from None
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[settings.OIDC_RP_SIGN_ALGO],
                audience=settings.OIDC_RP_CLIENT_ID,
                issuer=provider.issuer,
                leeway=settings.OIDC_CLOCK_SKEW_SECONDS,
                options={"require": ["iss", "aud", "sub", "exp", "iat"]},
            )
        except jwt.ExpiredSignatureError:
            raise _refused("its ID token has expired.") from None
        except jwt.InvalidAudienceError:
            raise _refused("its ID token was issued for another application (audience).") from None
        except jwt.InvalidIssuerError:
            raise _refused("its ID token was issued by another provider (issuer).") from None
        except jwt.InvalidSignatureError:
            raise _refused("its ID token's signature does not match the provider's key.") from None
        except jwt.PyJWTError as error:
            raise _refused(f"its ID token is not valid ({error}).") from None
        # Several audiences: the token must name us as the party it was issued to (OIDC Core 3.1.3.7).
        several = isinstance(claims["aud"], list) and len(claims["aud"]) > 1
        if several and claims.get("azp") != settings.OIDC_RP_CLIENT_ID:
            raise _refused("its ID token was issued for another application (authorized party).")
        if claims.get("nonce") != kwargs.get("nonce"):
            raise _refused("its ID token answers another sign-in (nonce).")
        return claims

    def get_or_create_user(self, access_token, id_token, payload):
        """The ID token's claims with the userinfo endpoint's over them (some providers send groups
        in one, some in the other), then ``sso_sign_in``."""
        claims = dict(payload)
        if discovery.provider().userinfo_endpoint:
            userinfo = self.get_userinfo(access_token, id_token, payload)
            if not isinstance(userinfo, dict) or userinfo.get("sub") != payload["sub"]:
                raise _refused("its userinfo describes someone else than its ID token (subject).")
            claims.update({name: value for name, value in userinfo.items() if name not in ("iss", "aud")})
        return sso_sign_in(issuer=discovery.provider().issuer, claims=claims)

    def get_user(self, user_id):
        # The library's would load a deactivated user's session too, and without their roles.
        return auth_backends.signed_in_user(user_id)

    # Permissions come from rules and Django's ModelBackend, once.
    def get_user_permissions(self, user_obj, obj=None):
        return set()

    def get_group_permissions(self, user_obj, obj=None):
        return set()

    def get_all_permissions(self, user_obj, obj=None):
        return set()

    def has_perm(self, user_obj, perm, obj=None):
        return False

    def has_module_perms(self, user_obj, app_label):
        return False

    def with_perm(self, perm, is_active=True, include_superusers=True, obj=None):
        return get_user_model()._default_manager.none()
