"""The governance workspace: the decision-authority matrix, the decision log, and the
registers (shadow AI, risks, shared-zone decisions, the expansion pipeline)."""

from django.urls import include, path

app_name = "governance"

urlpatterns = [
    path("", include("governance.views.home")),
    path("matrix/", include("governance.views.matrix")),
    path("decisions/", include("governance.views.decisions")),
    path("", include("governance.views.registers")),
    path("", include("governance.views.gates")),
]
