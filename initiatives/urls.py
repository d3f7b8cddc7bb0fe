"""The initiative pages: the list, each initiative's page, and its editing by its ops leads and admins."""

from django.urls import path

from . import views

app_name = "initiatives"

urlpatterns = [
    path("", views.initiative_list, name="list"),
    path("<slug:code>/", views.initiative_detail, name="detail"),
    path("<slug:code>/edit/", views.initiative_edit, name="edit"),
    path("<slug:code>/workflow/", views.workflow_edit, name="workflow"),
    path("<slug:code>/roadmap/", views.roadmap_edit, name="roadmap"),
]
