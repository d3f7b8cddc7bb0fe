"""The KPI catalogue (/kpis/): every KPI's definition and targets, read by everyone signed in and
edited by admins through the KPI service, so nobody is sent to the Django admin to read one."""

from django.urls import path

from . import kpi_views

app_name = "kpis"

urlpatterns = [
    path("", kpi_views.kpi_list, name="list"),
    path("<slug:code>/", kpi_views.kpi_detail, name="detail"),
    path("<slug:code>/edit/", kpi_views.kpi_edit, name="edit"),
    path("<slug:code>/history/", kpi_views.kpi_history_view, name="history"),
]
