"""The hand-written demo company, as plain constants: no database, no randomness. The
builders in ``scoreboard.demo.build`` turn it into rows.

- ``people``: the company and one person for every role;
- ``metrics``: the KPIs and their targets, the metric sources, the chart notes;
- ``plans`` and ``when``: the shape of an initiative and dates relative to the build's clock;
- ``initiatives`` and ``initiatives_live``: the twelve hand-written initiatives, in order;
- ``templates``: what the initiatives beyond twelve are made from;
- ``reviews``: the executives' sign-off comments;
- ``matrix``: the decision-authority matrix, version 1 and the draft of version 2;
- ``governance``: gates, shared-zone decisions, decision requests, shadow AI and risks.
"""
