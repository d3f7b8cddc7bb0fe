"""Rows of the table for chat destinations: written by admins, in the admin only (no page, no API).

The webhook's URL is a secret held in an environment variable; the destination names the
variable, which must be one meant for chat, and its address must be on the sources' allow-list.
"""

from __future__ import annotations

import os

from scoreboard.models import ChatDestination

from .harness import Door, Send, admin_form

CHAT_HOSTS = "a chat destination reaches only allow-listed hosts"
CHAT_SECRETS = "a chat destination reads only the variables meant for chat"

_ADD = "/admin/scoreboard/chatdestination/add/"
_VARIABLE = "SCOREBOARD_CHAT_DOORS_TABLE"


def _destination(url_env: str):
    def attempt(w, c):
        data = admin_form(c, _ADD, name="ExCo channel", kind="slack", url_env=url_env)
        data["events"] = ["kpi_red"]
        return Send("POST", _ADD, data)

    return attempt


def _off_the_list(w, c):
    # The tests' allow-list is empty: Slack's host is refused like any other, before DNS is asked.
    os.environ[_VARIABLE] = "https://hooks.slack.com/services/T0/B0/not-a-real-key"
    return _destination(_VARIABLE)(w, c)


def _forget_variable(w, response):
    os.environ.pop(_VARIABLE, None)


DOORS = [
    Door(CHAT_HOSTS, "admin", "admin_user", ChatDestination, _off_the_list, 200,
         f"The address in {_VARIABLE} is refused: refused: hooks.slack.com is not on the allow-list",
         kept=_forget_variable),
    Door(CHAT_SECRETS, "admin", "admin_user", ChatDestination, _destination("SECRET_KEY"), 200,
         "SECRET_KEY is not a variable chat destinations may read", what="the server's own"),
    Door(CHAT_SECRETS, "admin", "admin_user", ChatDestination, _destination("SCOREBOARD_SOURCE_WAREHOUSE"), 200,
         "SCOREBOARD_SOURCE_WAREHOUSE is not a variable chat destinations may read", what="a source's"),
]  # fmt: skip
