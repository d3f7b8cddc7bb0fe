"""The project package, with two jobs, and its folders show them.

- The shared base, which every app may import: people and roles (``models.py``: ``User``,
  the role groups), every permission rule (``rules.py``), what every service shares when it
  writes (``writes.py``), the API plumbing (``api.py``, ``api_views.py``, ``api_errors.py``),
  month arithmetic (``months.py``), the CSV writer (``csv_writer.py``), form helpers
  (``forms.py``), integration tokens and Idempotency-Keys (``services.py``), the health probes.
  These are the modules at the top level.
- The ExCo dashboard, with the monthly review, its sign-offs, the pack and its PDF: in
  ``exco/``. It reads every app; no app imports it.

Beside them, the project's configuration: ``settings.py``, ``urls.py``, ``celery.py`` (the
Celery app, loaded below, and the fixed schedules) and ``wsgi.py``.
"""

# Load the Celery app with Django so that @shared_task binds to it.
from .celery import app as celery_app

__all__ = ("celery_app",)
