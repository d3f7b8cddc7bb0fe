from django.apps import AppConfig


class SSOConfig(AppConfig):
    # An app of its own, with its own migrations, so its table never collides with the
    # scoreboard app's migration history.
    name = "scoreboard.sso"
    label = "sso"
    verbose_name = "Single sign-on"
    default_auto_field = "django.db.models.BigAutoField"
