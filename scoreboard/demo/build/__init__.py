"""The builders: they turn ``scoreboard.demo.data`` into rows, one module per part, in the
order ``scoreboard.demo.build_demo_company`` runs them: people, KPIs and sources, initiatives
and their details, targets, measurements, reviews, governance. Anything random is drawn from
the context's one seeded generator, in a fixed order: reordering the calls changes the company.
"""
