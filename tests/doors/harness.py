"""The table's parts: a door (one rule tried on one path), what it sends, and how it is sent.

A row of the table is a ``Door``: the rule, the path (page, api, admin, csv), the persona who
tries (one who may write the object, so that only the rule can refuse), the model written, and
``attempt``: a small function that makes what it needs and returns the one write to send
(``Send``). The test reads every table before and after the write; a refusal changes nothing.

Where a path cannot express the write at all (a read-only field, an input that is not its to
give), the row's ``kept`` says what must still hold once the value was sent: the value is not
stored. A row whose write rightly happens (the brief's voided signatures, an admin's correction of
an owner's description, recorded as theirs) says so with ``stores=True`` and checks the outcome in
``kept``.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models

PATHS = ("page", "api", "admin", "csv")


@dataclass(frozen=True)
class Send:
    """One write: a page's form (a POST of fields), an API request (JSON), an admin form, or,
    with ``file``, a CSV upload to the workspace followed by its preview and "store all"."""

    method: str
    url: str
    data: dict | None = None
    json: bool = False
    file: bytes | None = None


class World(dict):
    """The personas and the fixtures' objects, by name (``w.ops_lead_a`` or ``w["ops_lead_a"]``)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(frozen=True)
class Door:
    rule: str
    path: str
    who: str  # the persona trying: one who may write the object
    model: type[models.Model]  # what the write is to (the admin's or the endpoint's model)
    attempt: Callable[[World, object], Send]  # makes what it needs (with the signed-in client), returns the write
    status: int
    says: str | Callable[[World], str] | None  # a distinctive fragment of the reason; None: the door has no words
    what: str = ""  # tells apart rows of the same rule and path, in the test's id
    note: str = ""
    kept: Callable[[World, object], None] | None = None  # what still holds after (the value sent not stored)
    stores: bool = False  # the write rightly stores something (checked by ``kept``): no before/after comparison

    def __post_init__(self):
        assert self.path in PATHS, self.path

    @property
    def id(self) -> str:
        return f"{self.rule} via {self.path}" + (f" [{self.what}]" if self.what else "")

    def reason(self, w: World) -> str | None:
        return self.says(w) if callable(self.says) else self.says


# --- Sending -----------------------------------------------------------------------------------------


def send(client, sent: Send):
    """The write as a browser or a client sends it; for a CSV, the upload, its preview and the
    choice to store every row. Returns (the answer whose status counts, everything it said)."""
    if sent.file is not None:
        upload = client.post(sent.url, {"file": SimpleUploadedFile("values.csv", sent.file, content_type="text/csv")})
        assert upload.status_code == 302, said(upload)[:2000]
        preview = client.get(upload["Location"])
        store = client.post(upload["Location"] + "store/", {"choice": "all"})
        return store, said(preview) + "\n" + said(store)
    if sent.json:
        body = json.dumps(sent.data) if sent.data is not None else None
        response = client.generic(sent.method, sent.url, body or "", content_type="application/json")
    elif sent.method == "POST":
        response = client.post(sent.url, sent.data or {})
    else:
        response = client.generic(sent.method, sent.url)
    return response, said(response)


def said(response) -> str:
    """What an answer says, as a person reads it: JSON as text, HTML with its entities read."""
    if getattr(response, "streaming", False):
        text = b"".join(response.streaming_content).decode()
    elif response.get("Content-Type", "").startswith("application/json"):
        text = json.dumps(response.json(), ensure_ascii=False)
    else:
        text = html.unescape(response.content.decode())
    return " ".join(text.split())


def words(text: str) -> str:
    return " ".join(text.split())


# --- Admin forms --------------------------------------------------------------------------------------


def _value(value):
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | models.QuerySet):
        return [_value(v) for v in value]
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def admin_form(client, url: str, /, **changes) -> dict:
    """The admin's add or change form at ``url`` as it is shown, every field sent back as shown
    (its inlines too, with their management forms), with ``changes`` on top."""
    page = client.get(url)
    assert page.status_code == 200, f"{url}: {page.status_code}"
    data = {}
    form = page.context["adminform"].form
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = _value(value)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[f"{formset.prefix}-{name}"] = management[name].value()
        for row in formset.forms:
            for name in row.fields:
                value = row[name].value()
                if value is None or value is False:
                    continue
                data[row.add_prefix(name)] = _value(value)
    data.update({name: _value(value) for name, value in changes.items()})
    return data


def page_form(client, url: str, /, **changes) -> dict:
    """A page's form at ``url`` as it is shown, every field sent back as shown, ``changes`` on top."""
    page = client.get(url)
    assert page.status_code == 200, f"{url}: {page.status_code}"
    form = page.context["form"]
    data = {name: _value(value) for name in form.fields if (value := form[name].value()) not in (None, False)}
    data.update({name: _value(value) for name, value in changes.items()})
    return data
