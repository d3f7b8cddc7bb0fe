"""Who may do what: the rules (scoreboard/rules.py) and the permission table, every persona on every
address of the product."""
