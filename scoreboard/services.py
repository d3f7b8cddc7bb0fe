"""The shared base's writes: the integration tokens machine clients sign in with, and the
answers kept for Idempotency-Keys. (The monthly review's sign-offs are the ExCo dashboard's:
scoreboard/exco/services.py.)"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from .models import IdempotencyRecord, IntegrationToken, Role

# --- Integration tokens: how machine clients sign in to the REST API ------------------------

# The roles a service user may hold for a token: machines write metrics (ops lead) or keep
# reference data (admin); they never sign off or decide as an executive.
TOKEN_ROLES = (Role.OPS_LEAD, Role.ADMIN)


def token_hash(key: str) -> str:
    # The key is 256 random bits: a plain SHA-256 cannot be reversed or guessed.
    return hashlib.sha256(key.encode()).hexdigest()


def token_issue(*, user, name: str) -> tuple[IntegrationToken, str]:
    """A new token for `user` and its key, which is shown this once and never stored."""
    if not any(user.has_role(role) for role in TOKEN_ROLES):
        raise ValidationError({"user": f"{user} is neither an ops lead nor an admin: a token acts with their role."})
    if not name.strip():
        raise ValidationError({"name": "Name the integration that will use the token."})
    key = secrets.token_urlsafe(32)
    token = IntegrationToken.objects.create(user=user, name=name.strip(), key_hash=token_hash(key), key_prefix=key[:8])
    return token, key


def token_revoke(*, token: IntegrationToken) -> IntegrationToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


# --- Idempotency keys: kept long enough for any client's retries, then forgotten ----------

IDEMPOTENCY_KEYS_KEPT = timedelta(days=7)


def idempotency_keys_forget(*, now=None) -> int:
    """Delete the answers kept for Idempotency-Keys older than IDEMPOTENCY_KEYS_KEPT; a key
    reused after that is a new request (the natural key still stores nothing twice)."""
    cutoff = (now or timezone.now()) - IDEMPOTENCY_KEYS_KEPT
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
