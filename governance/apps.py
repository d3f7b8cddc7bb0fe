from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "Governance"

    def ready(self):
        # Adds the gates to the initiatives' way to production (initiatives.services.stages).
        from .services import gates  # noqa: F401
