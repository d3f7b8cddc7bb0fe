from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = "Metrics"

    def ready(self):
        # The system checks register themselves; the tasks too, so that the outbox, which sends
        # them by name, finds them in every process (web, worker, shell), not only in a worker.
        from . import checks, tasks  # noqa: F401
