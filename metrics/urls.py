"""The ops-lead workspace (/my/): my initiatives, what is due, the quick log form, CSV in and out."""

from django.urls import include, path

from . import views

app_name = "workspace"

urlpatterns = [
    path("", views.workspace, name="home"),
    path("<slug:code>/", views.initiative_workspace, name="initiative"),
    path("<slug:code>/log/", views.log_value, name="log"),
    path("", include("metrics.csv_urls")),
]
