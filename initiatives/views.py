"""Initiative pages. Thin: reads come from selectors.py, writes go through services.py."""

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from .models import Initiative


@require_GET
def initiative_list(request):
    return render(request, "initiatives/list.html", {"initiatives": Initiative.objects.all()})


@require_GET
def initiative_detail(request, code: str):
    return render(request, "initiatives/detail.html", {"initiative": get_object_or_404(Initiative, code=code)})
