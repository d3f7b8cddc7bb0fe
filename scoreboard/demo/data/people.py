"""The company and its people: one for every role, and an executive in every seat the
scoreboard names (the CEO, the CIO and the COO)."""

from dataclasses import dataclass

from scoreboard.models import ExecutiveTitle, Role

# Printed by the command: a demo, not a secret.
DEMO_PASSWORD = "scoreboard-demo"  # noqa: S105
COMPANY = "Harbourline Mutual"
EMAIL_DOMAIN = "harbourline.example"


@dataclass(frozen=True)
class Person:
    username: str
    first_name: str
    last_name: str
    role: Role
    title: str
    job: str

    @property
    def email(self) -> str:
        return f"{self.first_name}.{self.last_name.replace(' ', '')}@{EMAIL_DOMAIN}".lower()


PEOPLE = (
    Person("ceo", "Helena", "Vos", Role.EXECUTIVE, ExecutiveTitle.CEO, "Chief executive"),
    Person("cio", "Daniel", "Okafor", Role.EXECUTIVE, ExecutiveTitle.CIO, "Chief information officer"),
    Person("coo", "Marta", "Lindqvist", Role.EXECUTIVE, ExecutiveTitle.COO, "Chief operating officer"),
    Person("ops.claims", "Tomasz", "Nowak", Role.OPS_LEAD, "", "Claims operations lead"),
    Person("ops.service", "Aisha", "Rahman", Role.OPS_LEAD, "", "Customer service operations lead"),
    Person("admin", "Pieter", "de Groot", Role.ADMIN, "", "Scoreboard administrator"),
)

# The ops lead for an initiative from its business unit; other units have none.
OPS_LEAD_BY_UNIT = {"Claims": "ops.claims", "Customer Service": "ops.service"}
