"""The ExCo pages, under /exco/. No namespace: their names (exco-month, kpi-drilldown, ...) are
the ones templates and redirects have always used. The home page, /, is routed in
scoreboard/urls.py to views.home, and the reviews' API is registered on the project's router."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.exco_pick, name="exco-pick"),
    path("pre-read/", views.preread_settings, name="preread-settings"),
    path("<month:month>/", views.exco_month, name="exco-month"),
    path("<month:month>/pack.pdf", views.exco_pack, name="exco-pack"),
    path("<month:month>/revisions/<int:revision>/pack.pdf", views.exco_revision_pack, name="exco-revision-pack"),
    path("<month:month>/sign-off/", views.exco_sign_off, name="exco-sign-off"),
    path("<month:month>/restate/", views.exco_restate, name="exco-restate"),
    path("<month:month>/kpi/<slug:code>/", views.kpi_drilldown, name="kpi-drilldown"),
    path("<month:month>/kpi/<slug:code>/annotate/", views.kpi_annotate, name="kpi-annotate"),
]
