"""Placeholder: filled by the registers pages."""

urlpatterns = []
