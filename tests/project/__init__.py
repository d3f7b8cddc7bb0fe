"""Project-wide guarantees: settings, sign-in and health probes, the admin, the database's own
constraints, factories, the demo company, a real Celery worker and its resilience, and a real browser."""
