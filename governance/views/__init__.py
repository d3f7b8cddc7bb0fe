"""The governance workspace's pages, one module per part (each with its own ``urlpatterns``,
gathered in governance/urls.py). Thin: writes go through governance/services/, reads through
selectors, and who may do what is asked of scoreboard/rules.py."""
