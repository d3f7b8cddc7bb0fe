"""Sign-in (password and SSO), the SSO refusal page, sign-out (ending the provider's session too)
and the password reset, on Django's and mozilla-django-oidc's views."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import urlencode as django_urlencode
from django.views import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from . import discovery
from .forms import GatedPasswordResetForm, PasswordSignInForm
from .services import SignInRefused, password_sign_in_allowed, whom_to_ask

log = logging.getLogger(__name__)


def refusal_page(request, refusal: SignInRefused):
    """The styled page of a refused sign-in: why, whom to ask, and a way back to the sign-in page
    (a link, never a redirect: a refusal that redirected to sign in would loop through the provider)."""
    log.warning("Sign-in refused (%s): %s", refusal.status, refusal.reason)
    return render(
        request,
        "registration/sso_refused.html",
        {"reason": refusal.reason, "ask": refusal.ask, "sign_in": reverse("login")},
        status=refusal.status,
    )


def _unavailable(error: Exception) -> SignInRefused:
    log.error("SSO provider unavailable: %s", error)
    return SignInRefused(
        f"{settings.OIDC_PROVIDER_NAME} could not be reached to sign you in. Nothing was stored; try again in a "
        "few minutes.",
        ask=whom_to_ask() + " If it lasts, tell them the sign-in provider is not answering.",
        status=503,
    )


class LoginView(auth_views.LoginView):
    """Django's sign-in page, offering the SSO button when SSO is on, and the password form
    when passwords are allowed (or, with PASSWORD_LOGIN off, to the break-glass admin only)."""

    authentication_form = PasswordSignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        next_url = context.get("next") or ""
        context |= {
            "sso_enabled": discovery.sso_enabled(),
            "sso_provider_name": settings.OIDC_PROVIDER_NAME,
            "sso_url": reverse("sso-start") + (f"?{django_urlencode({'next': next_url})}" if next_url else ""),
            "password_login": settings.PASSWORD_LOGIN,
            "password_form": settings.PASSWORD_LOGIN or bool(settings.BREAK_GLASS_ADMIN),
        }
        return context


class LogoutView(auth_views.LogoutView):
    """Django's sign-out; after an SSO sign-in it also ends the session at the provider, when
    the provider offers that (``end_session_endpoint``), and comes back to the sign-in page."""

    def post(self, request, *args, **kwargs):
        id_token = request.session.get("oidc_id_token")
        response = super().post(request, *args, **kwargs)
        if not (id_token and discovery.sso_enabled()):
            return response
        try:
            endpoint = discovery.provider().end_session_endpoint
        except discovery.ProviderUnavailable:
            return response  # signed out here; the provider's session ends when it times out
        if not endpoint:
            return response
        query = urlencode(
            {
                "id_token_hint": id_token,
                "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
                "client_id": settings.OIDC_RP_CLIENT_ID,
            }
        )
        return HttpResponseRedirect(f"{endpoint}{'&' if '?' in endpoint else '?'}{query}")


@method_decorator(login_not_required, name="dispatch")
class SSOStartView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider, with state, nonce and PKCE (mozilla-django-oidc's view)."""

    def __init__(self, **kwargs):
        # The library reads the endpoint here, for every request; we read it in get(), from discovery.
        View.__init__(self, **kwargs)

    def get(self, request):
        if not discovery.sso_enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = discovery.provider().authorization_endpoint
        except discovery.ProviderUnavailable as error:
            return refusal_page(request, _unavailable(error))
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


@method_decorator(login_not_required, name="dispatch")
class SSOCallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back: the library's view, with every failure a
    styled page that says why and whom to ask (the library answers a bare 400, 500 or a redirect)."""

    def get(self, request):
        if not discovery.sso_enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            return super().get(request)
        except SignInRefused as refusal:
            return refusal_page(request, refusal)
        except SuspiciousOperation:
            # The state is not one this browser's session started: a forged or replayed answer.
            return refusal_page(
                request,
                SignInRefused(
                    "This sign-in answer does not match a sign-in started in this browser (its state is unknown "
                    "or already used), so it was refused and nothing was stored. Start again from the sign-in page.",
                    ask=whom_to_ask() + " If it keeps happening, tell them.",
                    status=400,
                ),
            )
        except (requests.RequestException, discovery.ProviderUnavailable) as error:
            return refusal_page(request, _unavailable(error))

    def login_failure(self):
        error = self.request.GET.get("error")
        if error:
            described = self.request.GET.get("error_description") or error
            reason = f"{settings.OIDC_PROVIDER_NAME} did not sign you in: {described[:200]}."
        else:
            reason = (
                "This sign-in was not started in this browser, or it took too long. Nothing was stored; "
                "start again from the sign-in page."
            )
        return refusal_page(self.request, SignInRefused(reason, ask=whom_to_ask(), status=400))


class PasswordResetView(auth_views.PasswordResetView):
    form_class = GatedPasswordResetForm


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """A link mailed before password sign-in was turned off no longer sets a password."""

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if user is not None and password_sign_in_allowed(user.get_username()) else None
