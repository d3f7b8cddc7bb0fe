"""The month as a printable PDF pack: the ExCo page rendered for print, with its styles and
scripts inlined, printed by headless Chromium. A frozen month's pack is rendered once and
kept, so the record reads the same whenever it is downloaded: one per revision, so a restated
month's earlier pack stays as it was signed."""

from __future__ import annotations

import hashlib
from datetime import date
from functools import cache
from pathlib import Path

from django.contrib.staticfiles import finders
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from .. import versions
from ..models import MonthlyPack, MonthlyReview
from . import dashboard
from .pdf import html_to_pdf


@cache
def _asset(path: str) -> str:
    found = finders.find(path)
    if not found:
        raise FileNotFoundError(f"static file {path} not found")
    # A "</script>" inside inlined code would end the tag early.
    return Path(found).read_text(encoding="utf-8").replace("</script", "<\\/script")


def pack_html(month: date) -> str:
    """The pack's HTML: self-contained, so Chromium needs no server and no network."""
    context = dashboard.exco_dashboard(month)
    context.update(
        pack=True,
        # The primary KPI first, then the shared outcomes: the summary's table.
        summary_tiles=[t for t in (context["primary"], *context["headline"]) if t],
        inline_css=mark_safe(_asset("css/scoreboard.css") + "\n" + _asset("css/pack.css")),  # noqa: S308 - ours
        inline_js=mark_safe(_asset("vendor/plotly/plotly.min.js") + "\n" + _asset("js/exco.js")),  # noqa: S308
    )
    return render_to_string("scoreboard/exco_pack.html", context)


def month_pack(month: date) -> bytes:
    """The month's PDF: for a frozen month, the pack of the latest revision both have signed, kept
    since its first rendering; for a month still open, printed afresh."""
    signed = (
        MonthlyReview.objects.filter(month=month, frozen_at__isnull=False)
        .order_by("-revision")
        .values_list("revision", flat=True)
        .first()
    )
    if signed is None:
        return html_to_pdf(pack_html(month))
    return revision_pack_keep(month, signed)


def revision_pack(month: date, revision: int) -> bytes | None:
    """The kept pack of one revision of the month, or None when none was kept."""
    kept = MonthlyPack.objects.filter(month=month, revision=revision).values_list("pdf", flat=True).first()
    return None if kept is None else bytes(kept)


def revision_pack_keep(month: date, revision: int) -> bytes:
    """The pack of a signed revision: the one kept, or printed now and kept. Printed only while
    that revision's figures are the month's (it is the latest signed: the restatement service
    prints it before a newer revision can replace its figures)."""
    kept = revision_pack(month, revision)
    if kept is not None:
        return kept
    pdf = html_to_pdf(pack_html(month))
    try:
        with transaction.atomic():
            MonthlyPack.objects.create(
                month=month,
                revision=revision,
                pdf=pdf,
                sha256=hashlib.sha256(pdf).hexdigest(),
                rendered_at=timezone.now(),
            )
            versions.bump(month)  # the month's list of revisions links the kept pack
    except IntegrityError:
        # Rendered by two requests at once: the first one kept is the record.
        return bytes(MonthlyPack.objects.get(month=month, revision=revision).pdf)
    return pdf
