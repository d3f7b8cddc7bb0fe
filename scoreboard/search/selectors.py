"""The header's search: initiatives, KPIs, the matrix in force, decision requests, risks and shadow-AI
tools found by their words, grouped by kind.

On PostgreSQL a kind's text fields are one weighted ``SearchVector`` (its name or title weighs most)
matched by ``websearch_to_tsquery`` and ordered by ``SearchRank``, computed as it is read: the
registers are thousands of rows, not millions, so no stored vector is kept in step. Elsewhere
(SQLite, ``make run``) every word must appear, case-insensitively, in one of the same fields.

Each kind is one query whatever its size: the rows shown carry the group's count in a window
(``COUNT(*) OVER ()``), so the overview page costs a query per kind the viewer may read.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from urllib.parse import urlencode

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, Model, Q, QuerySet, Window
from django.urls import reverse

from governance.models import DecisionRequest, MatrixDecision, Risk, ShadowAITool
from governance.selectors import in_force_version_pk
from initiatives.models import Initiative
from metrics.models import KPI

# Longer than anyone types into a search box; a longer text is refused with a message, unread.
MAX_QUERY_LENGTH = 200
SHOWN_PER_KIND = 10
PAGE_SIZE = 25
# The stemming and stop words of the product's language, the same on both sides of the match.
SEARCH_CONFIG = "english"
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Hit:
    """One result as the page shows it: plain words and a link."""

    title: str
    url: str
    detail: str


@dataclass(frozen=True)
class Kind:
    slug: str
    label: str
    # The label within a sentence ("No KPIs match", "All 12 shadow-AI tools").
    noun: str
    # The permission that reads this kind (scoreboard/rules.py): a kind the viewer may not read is not searched.
    perm: str
    # (field, weight): A for the name or title, B for what it is about, C for the longer texts.
    fields: tuple[tuple[str, str], ...]
    rows: Callable[[], QuerySet]
    order: tuple[str, ...]
    hit: Callable[[Model], Hit]


@dataclass(frozen=True)
class Group:
    kind: Kind
    total: int
    hits: list[Hit]

    @property
    def more(self) -> bool:
        return self.total > len(self.hits)


def _initiative(i: Initiative) -> Hit:
    return Hit(i.name, reverse("initiatives:detail", args=[i.code]), f"{i.business_unit} · {i.get_stage_display()}")


def _kpi(k: KPI) -> Hit:
    return Hit(k.name, reverse("kpis:detail", args=[k.code]), k.get_family_display())


def _matrix_decision(d: MatrixDecision) -> Hit:
    # The matrix page shows one process at a time: open the decision's process, at its row.
    url = f"{reverse('governance:matrix')}?{urlencode({'process': d.process})}#decision-{d.pk}"
    where = f"{d.process} · {d.initiative.name}" if d.initiative else d.process
    return Hit(d.decision, url, f"{where} · {d.get_autonomy_tier_display()} · matrix v{d.version.number}, in force")


def _decision_request(r: DecisionRequest) -> Hit:
    state = f"answered: {r.get_answer_display().lower()}" if r.answered_at else "open"
    about = f" · {r.initiative.name}" if r.initiative else ""
    return Hit(r.question, reverse("governance:decision", args=[r.pk]), f"Asked of {r.executive}{about} · {state}")


def _risk(r: Risk) -> Hit:
    # Risks have no page of their own: the register, narrowed to the risk's category, at its row.
    url = f"{reverse('governance:risks')}?{urlencode({'category': r.category})}#risk-{r.pk}"
    return Hit(r.title, url, f"{r.get_category_display()} · {r.get_status_display()}")


def _shadow_ai_tool(t: ShadowAITool) -> Hit:
    query = urlencode({"status": t.status, "sensitivity": t.data_sensitivity})
    url = f"{reverse('governance:shadow-ai')}?{query}#tool-{t.pk}"
    return Hit(t.tool, url, f"{t.team} · {t.get_status_display()} · sensitivity: {t.get_data_sensitivity_display()}")


KINDS: dict[str, Kind] = {
    kind.slug: kind
    for kind in (
        Kind(
            slug="initiatives",
            label="Initiatives",
            noun="initiatives",
            perm="initiatives.view_initiative",
            fields=(
                ("name", "A"),
                ("code", "A"),
                ("process", "B"),
                ("business_unit", "B"),
                ("technology_owner_description", "C"),
                ("operations_owner_description", "C"),
            ),
            rows=lambda: Initiative.objects.all(),
            order=("name", "pk"),
            hit=_initiative,
        ),
        Kind(
            slug="kpis",
            label="KPIs",
            noun="KPIs",
            perm="metrics.view_kpi",
            fields=(("name", "A"), ("code", "A"), ("description", "B")),
            rows=lambda: KPI.objects.all(),
            order=("name", "pk"),
            hit=_kpi,
        ),
        Kind(
            slug="matrix",
            label="Matrix decisions",
            noun="matrix decisions",
            perm="governance.view_matrixdecision",
            fields=(
                ("decision", "A"),
                ("key", "A"),
                ("process", "B"),
                ("escalation_owner", "C"),
                ("override_protocol", "C"),
            ),
            # Only the version in force: a draft's or a superseded version's rules do not apply.
            rows=lambda: MatrixDecision.objects.filter(version=in_force_version_pk()).select_related(
                "version", "initiative"
            ),
            order=("process", "decision", "pk"),
            hit=_matrix_decision,
        ),
        Kind(
            slug="decisions",
            label="Decision requests",
            noun="decision requests",
            perm="governance.view_decisionrequest",
            fields=(("question", "A"), ("note", "B")),
            rows=lambda: DecisionRequest.objects.select_related("executive", "initiative"),
            order=("-requested_at", "pk"),
            hit=_decision_request,
        ),
        Kind(
            slug="risks",
            label="Risks",
            noun="risks",
            perm="governance.view_risk",
            fields=(
                ("title", "A"),
                ("description", "B"),
                ("preventive_measures", "C"),
                ("responsive_measures", "C"),
            ),
            rows=lambda: Risk.objects.all(),
            order=("title", "pk"),
            hit=_risk,
        ),
        Kind(
            slug="shadow-ai",
            label="Shadow-AI tools",
            noun="shadow-AI tools",
            perm="governance.view_shadowaitool",
            fields=(("tool", "A"), ("team", "B"), ("use", "B"), ("why_it_helps", "C")),
            rows=lambda: ShadowAITool.objects.all(),
            order=("tool", "team", "pk"),
            hit=_shadow_ai_tool,
        ),
    )
}


def readable_kinds(user) -> list[Kind]:
    """The kinds this person may read, in the page's order. (Today every signed-in person reads
    them all; the rules decide, so a register made private drops out of search with no change here.)"""
    return [kind for kind in KINDS.values() if user.has_perm(kind.perm)]


def matching(kind: Kind, q: str) -> QuerySet:
    """The rows of ``kind`` that ``q`` finds, the best match first."""
    if connection.vendor == "postgresql":
        vector = reduce(
            operator.add,
            (SearchVector(field, weight=weight, config=SEARCH_CONFIG) for field, weight in kind.fields),
        )
        query = SearchQuery(q, search_type="websearch", config=SEARCH_CONFIG)
        return (
            kind.rows()
            .annotate(search=vector, rank=SearchRank(vector, query))
            .filter(search=query)
            .order_by("-rank", *kind.order)
        )
    # A plain match: each word in some field, no ranking, so the kind's usual order. Words as
    # PostgreSQL reads them (quotes, dashes and the like separate words), and none finds nothing.
    words = _WORD.findall(q)
    if not words:
        return kind.rows().none()
    each_word = [
        reduce(operator.or_, (Q(**{f"{field}__icontains": word}) for field, _ in kind.fields)) for word in words
    ]
    return kind.rows().filter(*each_word).order_by(*kind.order)


def search_overview(q: str, kinds: list[Kind], *, shown: int = SHOWN_PER_KIND) -> list[Group]:
    """The first ``shown`` results of each kind with the kind's count: one query per kind."""
    groups = []
    for kind in kinds:
        rows = list(matching(kind, q).annotate(found=Window(Count("pk")))[:shown])
        groups.append(Group(kind, rows[0].found if rows else 0, [kind.hit(row) for row in rows]))
    return groups


def search_kind(q: str, kind: Kind, *, page: str | int | None) -> tuple[Page, list[Hit]]:
    """One kind's results, a page at a time (a count and the page's rows)."""
    found = Paginator(matching(kind, q), PAGE_SIZE).get_page(page)
    return found, [kind.hit(row) for row in found]
