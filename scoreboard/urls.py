from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path, register_converter

from . import converters, views

admin.site.site_header = "AI scoreboard administration"
admin.site.site_title = "AI scoreboard"
register_converter(converters.MonthConverter, "month")

urlpatterns = [
    path("", views.home, name="home"),
    path("exco/", views.exco_pick, name="exco-pick"),
    path("exco/<month:month>/", views.exco_month, name="exco-month"),
    path("exco/<month:month>/pack.pdf", views.exco_pack, name="exco-pack"),
    path("exco/<month:month>/sign-off/", views.exco_sign_off, name="exco-sign-off"),
    path("exco/<month:month>/kpi/<slug:code>/", views.kpi_drilldown, name="kpi-drilldown"),
    path("exco/<month:month>/kpi/<slug:code>/annotate/", views.kpi_annotate, name="kpi-annotate"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
]
