"""CSV in and out for an initiative's measurements: template, upload with preview, export."""

urlpatterns = []
