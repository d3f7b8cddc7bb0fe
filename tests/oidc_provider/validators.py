"""django-oauth-toolkit's validator, with the directory's claims and the knobs of bad behaviour."""

import json
import time

from django.conf import settings
from django.db import router, transaction
from jwcrypto import jwk, jwt
from oauth2_provider.models import IDToken
from oauth2_provider.oauth2_validators import OAuth2Validator

from . import state


class KnobbedValidator(OAuth2Validator):
    # Every claim goes out whatever the scopes: the groups claim above all.
    oidc_claim_scope = None

    def get_additional_claims(self, request):
        person = state.directory().get(request.user.username, {})
        return {
            "preferred_username": request.user.username,
            "email": person.get("email", ""),
            "given_name": person.get("given_name", ""),
            "family_name": person.get("family_name", ""),
            "groups": person.get("groups", []),
        }

    def finalize_id_token(self, id_token, token, token_handler, request):
        """As django-oauth-toolkit's own, then the knobs: each makes one thing about the token wrong."""
        claims, expiration_time = self.get_id_token_dictionary(token, token_handler, request)
        id_token.update(**claims)
        if "nonce" not in id_token and request.nonce:
            id_token["nonce"] = request.nonce
        knobs = state.knobs()
        if "expired_seconds_ago" in knobs:
            id_token["exp"] = int(time.time()) - knobs["expired_seconds_ago"]
            id_token["iat"] = id_token["exp"] - 300
        for claim in ("aud", "iss", "nonce"):
            if claim in knobs:
                id_token[claim] = knobs[claim]
        published = request.client.jwk_key
        key = jwk.JWK.from_pem(settings.FOREIGN_KEY_PEM.encode()) if knobs.get("sign_with_foreign_key") else published
        # The header names the published key even when another signs: only the signature can tell.
        header = {"typ": "JWT", "alg": request.client.algorithm, "kid": published.thumbprint()}
        signed = jwt.JWT(header=json.dumps(header), claims=json.dumps(id_token, default=str))
        signed.make_signed_token(key)
        with transaction.atomic(using=router.db_for_write(IDToken)):
            saved = self._save_id_token(id_token["jti"], request, expiration_time)
        request.access_token = saved
        request.id_token = saved
        return signed.serialize()
