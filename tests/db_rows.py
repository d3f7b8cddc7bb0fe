"""Every row of every table, to prove that a refused write changed nothing at all."""

from __future__ import annotations

from django.apps import apps
from django.db import connection


def _tables() -> list[tuple[str, str]]:
    """(table, primary key column) of every model installed but the sessions, which signing
    out rightly deletes: the product's, their history and many-to-many tables, users and roles,
    the admin's log, sign-in attempts, scheduled jobs."""
    return [
        (model._meta.db_table, model._meta.pk.column)
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label != "sessions"
    ]


def rows() -> dict[str, object]:
    """Every row of every table, read with plain SQL (through the ORM, reading them twice for
    each of the table's 600 requests would double the run)."""
    quote = connection.ops.quote_name
    tables = _tables()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # In one statement: a round trip per table would cost a third of the run.
            one = "(SELECT json_agg(t ORDER BY t.{}) FROM {} t)::text"  # names from the models, not input
            cursor.execute("SELECT " + ", ".join(one.format(quote(pk), quote(table)) for table, pk in tables))
            return dict(zip([table for table, _ in tables], cursor.fetchone(), strict=True))
        found = {}
        for table, pk in tables:
            cursor.execute(f"SELECT * FROM {quote(table)} ORDER BY {quote(pk)}")  # noqa: S608 - names from the models
            found[table] = cursor.fetchall()
        return found
