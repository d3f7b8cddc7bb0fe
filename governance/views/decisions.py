"""Placeholder: filled by the decisions pages."""

urlpatterns = []
