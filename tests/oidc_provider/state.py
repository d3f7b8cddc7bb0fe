"""The provider's directory and knobs: JSON files in its state directory, read when used."""

import json
from pathlib import Path

from django.conf import settings


def _read(name: str) -> dict:
    path = Path(settings.STATE_DIR) / name
    return json.loads(path.read_text()) if path.exists() else {}


def directory() -> dict:
    """``{username: {"password", "email", "given_name", "family_name", "groups"}}``"""
    return _read("directory.json")


def knobs() -> dict:
    return _read("knobs.json")
