"""The shared base's pages: the health probes and the 400, 403, 404 and 500 answers. (Sign-in, sign-out, single
sign-on and the password reset are in scoreboard/sso/views.py, on Django's own views; the ExCo pages are
scoreboard/exco/views.py.)"""

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.urls import Resolver404
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import error_pages, health
from .middleware import too_large


@login_not_required
@never_cache
@require_GET
def healthz(request):
    """Alive: the process answers. Checks nothing else, so a database outage does not
    make the orchestrator restart healthy web processes."""
    return JsonResponse({"status": "ok"})


@login_not_required
@never_cache
@require_GET
def readyz(request):
    """Ready: the database and (when configured) the broker are reachable."""
    problems = [p for p in (health.database_problem(), health.broker_problem()) if p]
    if problems:
        return JsonResponse({"status": "unavailable", "reasons": problems}, status=503)
    return JsonResponse({"status": "ok"})


def bad_request(request, exception):
    """A request Django refused before any view (a body over the limit: 413; a bad host or
    header: 400): JSON under /api/, the site's 400 page elsewhere."""
    if isinstance(exception, RequestDataTooBig):
        return too_large(request)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "The request is not valid."}, status=400)
    return error_pages.render_error(request, "400.html", 400)


def permission_denied(request, exception):
    """A refusal: the page names who may do it, in the refusal's own words (a service's
    PermissionDenied says "Only admins ..."). The API's views answer their own 403s in JSON."""
    reason = str(exception) if exception is not None else ""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": reason or "You may not do this."}, status=403)
    return error_pages.render_error(request, "403.html", 403, reason=reason)


def server_error(request):
    """Under /api/, a JSON 500 like every other API error (the error itself goes to the log);
    elsewhere the site's 500 page, which says nothing of the error itself."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Something went wrong on our side; nothing was stored."}, status=500)
    return error_pages.server_error_page()


def not_found(request, exception):
    """Under /api/, a JSON answer like every other API error; elsewhere the site's 404 page, with
    the reason when a view gave one in words (a missing pack's revision), never the URL
    resolver's list of patterns."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "No such endpoint or object."}, status=404)
    reason = exception.args[0] if exception is not None and exception.args else ""
    if not isinstance(reason, str) or isinstance(exception, Resolver404):
        reason = ""
    return error_pages.render_error(request, "404.html", 404, reason=reason)
