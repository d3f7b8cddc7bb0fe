"""The pages a person sees when a request goes wrong (400, 403, 404, 405, 500): what happened in
plain words and where to go next. The handlers in views.py and the 405 middleware render them."""

from __future__ import annotations

from django.core.exceptions import DisallowedHost
from django.http import HttpResponse
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def came_from(request) -> str | None:
    """The page the person came from, when it is one of ours and not this same address: a link
    back is then safe to offer. (A Referer is the client's word, so another site's is dropped.)"""
    referer = request.META.get("HTTP_REFERER", "")
    try:
        host = request.get_host()
    except DisallowedHost:
        # The 400 for a Host header we do not serve: no address of ours to compare with.
        return None
    if not referer or not url_has_allowed_host_and_scheme(referer, allowed_hosts={host}, require_https=False):
        return None
    if referer.split("#", 1)[0] == request.build_absolute_uri():
        return None
    return referer


def render_error(request, template: str, status: int, **context) -> HttpResponse:
    """An error page on the site's base, with the links on where to go: back (when safe), the
    ExCo dashboard, and sign in for a person who is not signed in."""
    # No user at all: refused before the session was read (a bad Host, a hostile query), so
    # whether the person is signed in is unknown and no sign-in link is offered.
    user = getattr(request, "user", None)
    context |= {
        "came_from": came_from(request),
        "sign_in": reverse("login") if user is not None and not user.is_authenticated else None,
    }
    return render(request, template, context, status=status)


def server_error_page() -> HttpResponse:
    """The 500 page, rendered without the request: whatever failed (the database, a context
    processor, the session) must not fail this page too. 500.html needs no context."""
    return HttpResponse(loader.get_template("500.html").render(), status=500)
