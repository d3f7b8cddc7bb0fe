"""The shared base's pages: the health probes and the 400, 404 and 500 answers. (Sign-in and sign-out are
Django's own views, routed in scoreboard/urls.py; the ExCo pages are scoreboard/exco/views.py.)"""

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import health
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
    header: 400): JSON under /api/, Django's own page elsewhere."""
    if isinstance(exception, RequestDataTooBig):
        return too_large(request)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "The request is not valid."}, status=400)
    return defaults.bad_request(request, exception)


def server_error(request):
    """Under /api/, a JSON 500 like every other API error (the error itself goes to the log)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Something went wrong on our side; nothing was stored."}, status=500)
    return defaults.server_error(request)


def not_found(request, exception):
    """Under /api/, a JSON answer like every other API error; elsewhere Django's own page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "No such endpoint or object."}, status=404)
    return defaults.page_not_found(request, exception)
