"""Request guards every page and the API share."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse


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
