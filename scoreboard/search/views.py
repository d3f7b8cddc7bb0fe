"""The search page. Thin: what it finds comes from selectors.py, who reads what from scoreboard/rules.py."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import selectors
from .forms import SearchForm


@require_GET
def search(request):
    form = SearchForm(request.GET)
    context = {"form": form, "q": "", "groups": None, "kind": None, "page": None, "hits": None}
    if not form.is_valid():
        # Said on the page, and nothing searched: a list that does not answer the box would mislead.
        return render(request, "search/results.html", context, status=400)
    q = form.cleaned_data["q"]
    context.update(q=q, search_q=q)
    if not q:
        return render(request, "search/results.html", context)
    kinds = selectors.readable_kinds(request.user)
    slug = form.cleaned_data["kind"]
    if slug:
        kind = selectors.KINDS[slug]
        if kind not in kinds:
            raise PermissionDenied(f"You may not read {kind.noun}.")
        page, hits = selectors.search_kind(q, kind, page=request.GET.get("page"))
        context.update(kind=kind, page=page, hits=hits)
    else:
        context["groups"] = selectors.search_overview(q, kinds)
    return render(request, "search/results.html", context)
