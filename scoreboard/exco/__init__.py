"""The ExCo dashboard: the month the CIO and the COO present and answer for together.

It owns the month's page and what is read for it (``dashboard.py``: tiles, trends, the
portfolio, warning signs, the figure behind each tile), the monthly review's two sign-offs
that freeze the month (``services.py``), the printable pack (``pack.py``, kept once the month
is frozen, printed by headless Chromium in ``pdf.py``), its pages (``views.py``, routed in
``urls.py``) and the reviews' REST endpoints (``api.py``).

It sits on top: it reads initiatives, metrics and governance and imports the shared base
(``scoreboard.models``, ``rules``, ``months``, the API plumbing), and no app imports it.
Its models, ``MonthlyReview`` and ``MonthlyPack``, stay in ``scoreboard/models.py``
with the app's migrations; its templates are ``templates/scoreboard/``.
"""
