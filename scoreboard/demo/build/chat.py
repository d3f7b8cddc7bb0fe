"""The demo's chat destination, made before the snapshots so that their roll-up records what it
would tell the channel (scoreboard/chat.py)."""

from scoreboard.models import ChatDestination

from ..data.chat import CHAT_DESTINATION


def build_chat_destination() -> ChatDestination:
    return ChatDestination.objects.create(**CHAT_DESTINATION)
