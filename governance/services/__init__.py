"""Governance's writes and rules, one module per part of the workspace. Pages, the API,
the admin and Celery tasks all call these functions, so each rule exists once:

- ``gates``: the way to production (a workflow change before leaving "assessed", a brief
  signed by the sponsor and the COO before building, testing, monitoring and a fallback
  procedure recorded done before production) and the brief's signatures;
- ``matrix``: the decision-authority matrix: its draft, publication asked of the approving
  executive, comparison, live bounds;
- ``bounds``: a matrix bound never contradicts a target of its KPI, checked on both sides;
- ``decisions``: the decision log: asking an executive, answering (acting on approvals), the
  overdue digest;
- ``stage_moves``: an initiative's move into Production or Scaled, or its retirement, asked of
  its sponsor;
- ``registers``: the risk register and the shared-zone decisions;
- ``shadow_ai``: the shadow-AI register, and promoting a tool to an initiative;
- ``chat_events``: what governance tells chat (scoreboard/chat.py): a matrix version awaiting
  approval, decision requests overdue.
"""
