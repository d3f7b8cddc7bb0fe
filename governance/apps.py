from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "Governance"

    def ready(self):
        # Adds the gates to the initiatives' way to production (initiatives.services.stages).
        # Adds the matrix bounds to the rules on metrics' targets (metrics.services.kpis).
        from .services import (
            bounds,  # noqa: F401
            gates,  # noqa: F401
        )
