"""Request guards every page and the API share."""

from __future__ import annotations

import re

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.urls import reverse

from . import error_pages
from .writes import text_problem


def too_large(request, size: int | None = None) -> HttpResponse:
    """413: the body is larger than the server reads (JSON under /api/, as every API error)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    sent = f"The body is {size:,} bytes; " if size else "The body is too large: "
    detail = f"{sent}requests take at most {limit:,} bytes. Send a smaller batch."
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": detail}, status=413)
    return HttpResponse(detail, status=413, content_type="text/plain; charset=utf-8")


def body_size_limit(get_response):
    """Refuse, before anything reads it, a body whose declared length is over the limit. (A body
    sent without its length is refused by Django as it is read: handler400 answers that one.)"""

    def middleware(request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if limit is not None and declared > limit and not request.content_type.startswith("multipart/"):
            return too_large(request, declared)
        return get_response(request)

    return middleware


# The admin's date drill-down (?observed_at__year=2026&...__month=3&...__day=14): Django reads each
# part as a C long, and a longer number is a 500 there (OverflowError), not its "invalid lookup".
_ADMIN_DATE_PART = re.compile(r".+__(year|month|day)")
_DATE_PART = re.compile(r"[0-9]{1,4}", re.ASCII)


def query_problems(query, *, admin: bool = False) -> dict[str, list[str]]:
    """Each parameter of a query string that no view can read, and why: text no one types (a
    NUL character, which no query to PostgreSQL may hold; a control character), and in the
    admin, a date drill-down part that is no year, month or day."""
    problems: dict[str, list[str]] = {}
    for name, values in query.lists():
        if problem := text_problem(name):
            problems.setdefault("query", []).append(f"A parameter's name {problem}.")
            continue
        for value in values:
            if problem := text_problem(value):
                problems.setdefault(name, []).append(f"This parameter {problem}.")
            elif admin and _ADMIN_DATE_PART.fullmatch(name) and not _DATE_PART.fullmatch(value):
                problems.setdefault(name, []).append("A year, month or day is a number of at most 4 digits.")
    return problems


def query_guard(get_response):
    """Refuse (400, naming each parameter and why) a query string holding what no view can read,
    before any view or filter sends it to the database: JSON under /api/, the 400 page elsewhere."""

    def middleware(request):
        problems = query_problems(request.GET, admin=request.path.startswith(_admin_prefix())) if request.GET else {}
        if not problems:
            return get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse(problems, status=400)
        lines = [f"{name}: {' '.join(reasons)}" for name, reasons in problems.items()]
        return error_pages.render_error(request, "400.html", 400, problems=lines)

    return middleware


def _admin_prefix() -> str:
    return reverse("admin:index")


def method_not_allowed_page(get_response):
    """Give a page's 405 words. Django has no handler405: require_POST and a view's
    http_method_not_allowed answer with an empty body, a blank page in a browser. A page's empty
    405 becomes the site's 405 page, its Allow header kept; the API's 405s are DRF's JSON."""

    def middleware(request):
        response = get_response(request)
        if response.status_code != 405 or response.streaming or response.content or request.path.startswith("/api/"):
            return response
        allowed = [method.strip() for method in response.get("Allow", "").split(",") if method.strip()]
        page = error_pages.render_error(
            request, "405.html", 405, method=request.method, allowed=allowed, form_only=allowed == ["POST"]
        )
        if "Allow" in response:
            page["Allow"] = response["Allow"]
        return page

    return middleware
