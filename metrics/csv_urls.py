"""CSV in and out for an initiative's measurements: template, upload with preview, export."""

from django.urls import path

from . import csv_views

urlpatterns = [
    path("<slug:code>/csv/template.csv", csv_views.csv_template, name="csv-template"),
    path("<slug:code>/csv/upload/", csv_views.csv_upload, name="csv-upload"),
    path("<slug:code>/measurements.csv", csv_views.measurements_export, name="measurements-export"),
    path("csv/<uuid:uuid>/", csv_views.csv_preview, name="csv-preview"),
    path("csv/<uuid:uuid>/store/", csv_views.csv_store, name="csv-store"),
    path("csv/<uuid:uuid>/progress", csv_views.csv_progress, name="csv-progress"),
]
