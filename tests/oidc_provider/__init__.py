"""A real OpenID Connect provider for the tests: django-oauth-toolkit's, in a small Django project
of its own, run as a separate process on loopback (``tests/sso/provider.py`` starts it).

Its state lives in a temporary directory (``OIDC_TEST_STATE_DIR``): its SQLite database, the
people of its directory (``directory.json``: passwords, names, and the groups its ``groups``
claim carries, read at every sign-in, so a test can move someone between groups as the
provider's admin would) and its knobs (``knobs.json``, read at every ID token), which make it
behave badly in one precise way: sign with a key it does not publish, send an expired token,
another audience, another issuer or another nonce. Nothing of the scoreboard is patched: the
provider misbehaves, and the scoreboard must notice.
"""
