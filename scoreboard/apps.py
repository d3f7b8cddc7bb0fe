from django.apps import AppConfig


class ScoreboardConfig(AppConfig):
    name = "scoreboard"
    verbose_name = "Scoreboard: people, roles and monthly reviews"

    def ready(self):
        # The tasks register themselves, so that chat.py, which sends them by name, finds them in
        # every process (web, worker, shell), not only in a worker.
        from . import tasks  # noqa: F401
