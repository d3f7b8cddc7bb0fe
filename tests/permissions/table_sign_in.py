"""Signing in: the permission table's rows for the sign-in pages (single sign-on, the password
reset), and the sign-in table, which says for every door that checks who someone is and every
kind of person what they get: signed in, refused (and why), a reset mail or none.

The pages' rows (``SIGN_IN_PAGE_CASES``) run in test_permission_table.py like every other page,
with the project's defaults: single sign-on off, passwords on. The sign-in table
(``SIGN_IN_ROWS``) runs in test_sign_in_table.py, each row under its own settings: a person's
column there is whose credentials are tried, not who is signed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.permissions.cases import Case

_EVERYONE = (200, 200, 200, 200, 200)  # a page for before signing in, which anyone may open
_SSO_OFF = (404, 404, 404, 404, 404)  # no issuer configured: there is no single sign-on

# fmt: off
SIGN_IN_PAGE_CASES: list[Case] = [
    Case("GET", "/oidc/authenticate/", _SSO_OFF, note="single sign-on off"),
    Case("GET", "/oidc/callback/?code=a-code&state=a-state", _SSO_OFF, note="single sign-on off"),
    Case("GET", "/password-reset/", _EVERYONE),
    Case("GET", "/password-reset/sent/", _EVERYONE),
    Case("GET", "/reset/MQ/a-token-that-is-not-valid/", _EVERYONE, note="an invalid link: says so"),
    Case("GET", "/reset/done/", _EVERYONE),
]
# fmt: on


# --- The sign-in table ---------------------------------------------------------------------------

# Outcomes.
SIGNED_IN = "signed in"
PASSWORD_OFF = "refused: password sign-in is off"  # the page says so; nobody signed in
NOT_STAFF = "refused: not an admin"  # the Django admin's own refusal
MAIL = "a reset mail"
NO_MAIL = "no mail, the same page"
NO_ROLE = "refused: no role"  # the refusal page, 403; nothing stored
DEACTIVATED = "refused: deactivated"  # the refusal page, 403; roles unchanged

# Whose password is tried: an executive, an ops lead, an admin, and the named break-glass admin.
PASSWORD_PEOPLE = ("cio", "ops_lead_a", "admin", "break_glass")
BREAK_GLASS = "break.glass"

PASSWORDS_ON: dict = {}
PASSWORDS_OFF = {"PASSWORD_LOGIN": False, "BREAK_GLASS_ADMIN": BREAK_GLASS}


@dataclass(frozen=True)
class Row:
    door: str  # "POST /login/", "POST /admin/login/", "POST /password-reset/", "SSO"
    expect: tuple[str, ...]  # the outcome for each of the row's people
    settings: dict = field(default_factory=dict)
    people: tuple[str, ...] = PASSWORD_PEOPLE
    note: str = ""

    def __str__(self):
        return f"{self.door} [{self.note}]" if self.note else self.door


# fmt: off
SIGN_IN_ROWS: list[Row] = [
    # Passwords on (the default): everyone signs in with theirs; the admin's login is for admins.
    Row("POST /login/", (SIGNED_IN, SIGNED_IN, SIGNED_IN, SIGNED_IN), PASSWORDS_ON, note="passwords on"),
    Row("POST /admin/login/", (NOT_STAFF, NOT_STAFF, SIGNED_IN, SIGNED_IN), PASSWORDS_ON, note="passwords on"),
    Row("POST /password-reset/", (MAIL, MAIL, MAIL, MAIL), PASSWORDS_ON, note="passwords on"),
    # PASSWORD_LOGIN=false: only the break-glass admin, on every door that checks a password.
    Row("POST /login/", (PASSWORD_OFF, PASSWORD_OFF, PASSWORD_OFF, SIGNED_IN), PASSWORDS_OFF, note="passwords off"),
    Row("POST /admin/login/", (PASSWORD_OFF, PASSWORD_OFF, PASSWORD_OFF, SIGNED_IN), PASSWORDS_OFF,
        note="passwords off"),
    Row("POST /password-reset/", (NO_MAIL, NO_MAIL, NO_MAIL, MAIL), PASSWORDS_OFF, note="passwords off"),
    # Single sign-on, through the real test provider: who its groups make whom, and who is refused.
    Row("SSO", (SIGNED_IN, SIGNED_IN, NO_ROLE, DEACTIVATED), PASSWORDS_ON,
        people=("coo.sso", "admin.sso", "marketing.sso", "ops.sso deactivated here"), note="passwords on"),
    Row("SSO", (SIGNED_IN, SIGNED_IN, NO_ROLE, DEACTIVATED), PASSWORDS_OFF,
        people=("coo.sso", "admin.sso", "marketing.sso", "ops.sso deactivated here"), note="passwords off"),
]
# fmt: on
