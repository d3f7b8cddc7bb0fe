"""Run the test provider: ``python -m tests.oidc_provider.serve <state dir>``.

Binds a free loopback port, migrates its SQLite database, creates the scoreboard's client and the
people of ``directory.json``, prints ``READY <port>`` and serves until killed."""

import os
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

CLIENT_ID = "scoreboard"
CLIENT_SECRET = "scoreboard-test-secret"
# A client whose ID tokens are signed with its secret: at least 256 bits of it, for HMAC-SHA256.
HS256_CLIENT_ID = "scoreboard-hs256"
HS256_CLIENT_SECRET = "scoreboard-test-secret-long-enough-for-hs256"


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


def main(state_dir: str) -> None:
    server = _Server(("127.0.0.1", 0), _QuietHandler)
    port = server.server_address[1]
    os.environ["OIDC_TEST_STATE_DIR"] = state_dir
    os.environ["OIDC_TEST_ISSUER"] = f"http://127.0.0.1:{port}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_provider.settings"

    import django

    django.setup()
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application

    call_command("migrate", verbosity=0, interactive=False)
    _seed()
    server.set_app(get_wsgi_application())
    print(f"READY {port}", flush=True)
    server.serve_forever()


def _seed() -> None:
    from django.contrib.auth.models import User
    from oauth2_provider.models import Application

    from tests.oidc_provider import state

    Application.objects.create(
        name="AI scoreboard",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        algorithm=Application.RS256_ALGORITHM,
        # Loopback addresses match on any port (RFC 8252): the live server's, whichever it gets.
        redirect_uris="http://testserver/oidc/callback/ http://127.0.0.1/oidc/callback/ http://localhost/oidc/callback/",
        post_logout_redirect_uris="http://testserver/login/ http://127.0.0.1/login/ http://localhost/login/",
    )
    Application.objects.create(
        name="AI scoreboard (HS256)",
        client_id=HS256_CLIENT_ID,
        client_secret=HS256_CLIENT_SECRET,
        hash_client_secret=False,  # the secret is the HMAC key: the provider must hold it as it is
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        algorithm=Application.HS256_ALGORITHM,
        redirect_uris="http://testserver/oidc/callback/",
    )
    for username, person in state.directory().items():
        User.objects.create_user(username, email=person.get("email", ""), password=person["password"])


if __name__ == "__main__":
    main(sys.argv[1])
