"""The provider's endpoints, from its discovery document: operators give only the issuer."""

from __future__ import annotations

from dataclasses import dataclass

import requests
from django.conf import settings
from django.core.cache import cache


class ProviderUnavailable(Exception):
    """The provider's discovery document could not be read, or does not describe this issuer."""


@dataclass(frozen=True)
class Provider:
    issuer: str  # as the provider writes it: the ``iss`` of its ID tokens must equal it exactly
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str = ""
    end_session_endpoint: str = ""  # empty: the provider offers no RP-initiated logout


def sso_enabled() -> bool:
    """Single sign-on is on when an issuer is configured (OIDC_ISSUER), and off by default."""
    return bool(settings.OIDC_ISSUER)


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def provider() -> Provider:
    """The configured provider's endpoints, read once and then cached (OIDC_DISCOVERY_CACHE_SECONDS)."""
    issuer = settings.OIDC_ISSUER
    key = f"sso:discovery:{issuer}"
    found = cache.get(key)
    if found is None:
        found = _discover(issuer)
        cache.set(key, found, settings.OIDC_DISCOVERY_CACHE_SECONDS)
    return found


def _discover(issuer: str) -> Provider:
    url = discovery_url(issuer)
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        raise ProviderUnavailable(
            f"The sign-in provider's discovery document ({url}) could not be read: {error}"
        ) from None
    if not isinstance(document, dict):
        raise ProviderUnavailable(f"The sign-in provider's discovery document ({url}) is not a JSON object.")
    # OpenID Connect Discovery 1.0, section 4.3: the document's issuer must be the one asked for.
    if str(document.get("issuer", "")).rstrip("/") != issuer.rstrip("/"):
        raise ProviderUnavailable(
            f"The discovery document at {url} names the issuer {document.get('issuer')!r}, not {issuer!r}: "
            "check OIDC_ISSUER."
        )
    missing = [name for name in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not document.get(name)]
    if missing:
        raise ProviderUnavailable(f"The discovery document at {url} does not give {', '.join(missing)}.")
    return Provider(
        issuer=document["issuer"],
        authorization_endpoint=document["authorization_endpoint"],
        token_endpoint=document["token_endpoint"],
        jwks_uri=document["jwks_uri"],
        userinfo_endpoint=document.get("userinfo_endpoint") or "",
        end_session_endpoint=document.get("end_session_endpoint") or "",
    )
