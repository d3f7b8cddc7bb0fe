from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from governance import api as governance_api
from initiatives import api as initiatives_api
from metrics import api as metrics_api

from . import converters, views
from .exco import admin as exco_admin  # noqa: F401 - registers the pre-read's admins
from .exco import api as exco_api
from .exco import views as exco_views
from .sso import forms as sso_forms
from .sso import views as sso_views

admin.site.site_header = "AI scoreboard administration"
admin.site.site_title = "AI scoreboard"
# The admin's login says why a password is refused when PASSWORD_LOGIN is off (the refusal is the backend's).
admin.site.login_form = sso_forms.AdminPasswordSignInForm
register_converter(converters.MonthConverter, "month")

# /api/v1/: every app's endpoints (its api.py), with the same permissions as the pages.
api = DefaultRouter()
api.register("kpis", metrics_api.KPIViewSet)
api.register("targets", metrics_api.TargetViewSet)
api.register("measurements", metrics_api.MeasurementViewSet)
api.register("snapshots", metrics_api.MonthlySnapshotViewSet)
api.register("initiatives", initiatives_api.InitiativeViewSet)
api.register("milestones", initiatives_api.MilestoneViewSet)
api.register("backlog-items", initiatives_api.BacklogItemViewSet)
api.register("workflow-changes", initiatives_api.WorkflowChangeViewSet)
api.register("shadow-ai-tools", governance_api.ShadowAIToolViewSet)
api.register("risks", governance_api.RiskViewSet)
api.register("matrix-versions", governance_api.MatrixVersionViewSet)
api.register("matrix-decisions", governance_api.MatrixDecisionViewSet)
api.register("decision-requests", governance_api.DecisionRequestViewSet)
api.register("reviews", exco_api.MonthlyReviewViewSet)

urlpatterns = [
    path("api/v1/", include(api.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The docs are a page: a signed-out browser goes to sign in (the API itself answers 401).
    path("api/docs/", login_required(SpectacularSwaggerView.as_view(url_name="api-schema")), name="api-docs"),
    path("", exco_views.home, name="home"),
    path("exco/", include("scoreboard.exco.urls")),
    path("initiatives/", include("initiatives.urls")),
    path("my/", include("metrics.urls")),
    path("kpis/", include("metrics.kpi_urls")),
    path("governance/", include("governance.urls")),
    path("search/", include("scoreboard.search.urls")),
    path("login/", sso_views.LoginView.as_view(), name="login"),
    path("logout/", sso_views.LogoutView.as_view(), name="logout"),
    # Single sign-on (OpenID Connect), off unless OIDC_ISSUER is set. The redirect URI to register at
    # the provider is <site>/oidc/callback/.
    path("oidc/authenticate/", sso_views.SSOStartView.as_view(), name="sso-start"),
    path("oidc/callback/", sso_views.SSOCallbackView.as_view(), name="sso-callback"),
    # Password reset by e-mail, Django's own views (only the break-glass admin when PASSWORD_LOGIN is off).
    path("password-reset/", sso_views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("reset/<uidb64>/<token>/", sso_views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
]

handler400 = "scoreboard.views.bad_request"
handler403 = "scoreboard.views.permission_denied"
handler404 = "scoreboard.views.not_found"
handler500 = "scoreboard.views.server_error"
