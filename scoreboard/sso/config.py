"""The role map, read from the environment by settings.py (so: no models, no Django app imports).

``OIDC_ROLE_MAP`` maps the values of the provider's roles claim (``OIDC_ROLES_CLAIM``, e.g.
``groups``) to our roles, comma-separated ``value=role`` entries, an executive with their seat::

    scoreboard-cio=executive:CIO,scoreboard-coo=executive:COO,scoreboard-ops=ops lead,scoreboard-admins=admin
"""

from __future__ import annotations

ROLES = ("executive", "ops lead", "admin")  # scoreboard.models.Role's values
TITLES = ("CEO", "CIO", "COO", "OTHER")  # scoreboard.models.ExecutiveTitle's values


def parse_role_map(text: str) -> dict[str, tuple[str, str]]:
    """``{claim value: (role, executive title or "")}``, in the order written: when a person's
    groups give executive seats that differ, the first written wins. A ValueError says which
    entry is wrong and why."""
    role_map: dict[str, tuple[str, str]] = {}
    for raw in text.split(","):
        entry = raw.strip()
        if not entry:
            continue
        value, sep, grant = (part.strip() for part in entry.partition("="))
        if not sep or not value or not grant:
            raise ValueError(
                f"OIDC_ROLE_MAP entry {entry!r} must be written value=role (e.g. scoreboard-ops=ops lead)."
            )
        role, _, title = (part.strip() for part in grant.partition(":"))
        if role not in ROLES:
            raise ValueError(f"OIDC_ROLE_MAP entry {entry!r}: the role must be one of {', '.join(ROLES)}.")
        if role == "executive" and title not in TITLES:
            raise ValueError(
                f"OIDC_ROLE_MAP entry {entry!r}: an executive needs a seat, one of {', '.join(TITLES)} "
                "(e.g. scoreboard-cio=executive:CIO)."
            )
        if role != "executive" and title:
            raise ValueError(f"OIDC_ROLE_MAP entry {entry!r}: only an executive has a seat.")
        if value in role_map:
            raise ValueError(f"OIDC_ROLE_MAP names {value!r} twice.")
        role_map[value] = (role, title)
    return role_map
