"""Placeholder: filled by the matrix pages."""

urlpatterns = []
