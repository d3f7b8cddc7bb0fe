"""The shared base's pages: the health probes and the 404 answer. (Sign-in and sign-out are
Django's own views, routed in scoreboard/urls.py; the ExCo pages are scoreboard/exco/views.py.)"""

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import health


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


def not_found(request, exception):
    """Under /api/, a JSON answer like every other API error; elsewhere Django's own page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "No such endpoint or object."}, status=404)
    return defaults.page_not_found(request, exception)
