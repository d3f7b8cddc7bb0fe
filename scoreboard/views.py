from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import health, selectors


@require_GET
def home(request):
    """The landing page: the programme at a glance until the ExCo dashboard takes over."""
    return render(request, "scoreboard/home.html", selectors.home_overview())


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
