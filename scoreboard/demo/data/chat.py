"""The demo's chat destination: the ExCo's Slack channel, hearing about every event. Its webhook
URL would be in SCOREBOARD_CHAT_EXCO_SLACK, which the demo never sets: the events are recorded
and the delivery log (in the admin) says why none was posted."""

CHAT_DESTINATION = {
    "name": "ExCo channel",
    "kind": "slack",
    "url_env": "SCOREBOARD_CHAT_EXCO_SLACK",
    "events": ["kpi_red", "source_failed", "decision_overdue", "month_ready", "matrix_awaiting"],
}
