"""Single sign-on with OpenID Connect, and the rules of password sign-in beside it.

Why mozilla-django-oidc rather than django-allauth: we need one thing, an OpenID Connect
relying party for one provider, in front of our own user model and roles. mozilla-django-oidc is
exactly that (a backend, two views, its settings), small enough to read whole and to subclass
where it falls short; allauth brings accounts, e-mail management, its own sign-in pages and
models for many providers, which we would mostly switch off. What the library does not check
in an ID token (its audience and its issuer: mozilla/mozilla-django-oidc#340, still open; and an
expired token escapes there as an error), our backend checks (``backends.OIDCBackend.verify_token``),
and tests/sso proves each refusal.

- ``config.py``: the role map read from the environment (used by settings.py, so no models).
- ``discovery.py``: the provider's endpoints, read from ``<issuer>/.well-known/openid-configuration``.
- ``services.py``: who may sign in by password, and an SSO sign-in: the user found or created
  by the provider's subject, their roles kept in step with the provider's groups, or a refusal.
- ``backends.py``: the OIDC backend (mozilla-django-oidc's, subclassed) and the password gate.
- ``forms.py``, ``views.py``: sign-in, the refusal page, sign-out, password reset (routed in scoreboard/urls.py).
"""
