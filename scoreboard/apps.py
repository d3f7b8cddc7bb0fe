from django.apps import AppConfig


class ScoreboardConfig(AppConfig):
    name = "scoreboard"
    verbose_name = "Scoreboard: people, roles and monthly reviews"
