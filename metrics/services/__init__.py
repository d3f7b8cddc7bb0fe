"""Metrics' writes and rules, one module per part. Pages, the API, the CSV upload, the admin
and Celery tasks all call these functions, so each rule exists once:

- ``ingest``: the one way measurements are stored (form, CSV, API, pulls): rows read as
  people and machines send them, checked with reasons, the permission to record, the
  idempotent upsert with the history of changed values, and the owed roll-ups it records;
- ``quick_log``: the workspace's quick log form: one value, read in the KPI's unit;
- ``csv_import``: an uploaded CSV file kept, checked (in the request or by a job) and stored;
- ``rollup``: monthly snapshots from measurements (in Python; on PostgreSQL in the SQL of
  ``rollup_sql``), their status against the target, restatements of frozen months, the
  freeze, the owed roll-ups;
- ``pulls``: pulling a source and recording its run, a source's configuration and schedule;
- ``outbox``: the only module here that sends Celery tasks: roll-ups owed once a write commits,
  and the sweeper that sends again what a lost message or a killed worker left undone;
- ``alerts``: what each accountable executive hears about, and the daily digest email;
- ``chat_events``: what metrics tells chat (scoreboard/chat.py, whose outbox posts it): a KPI
  turned red (from the roll-up), a source failed (from the pull), a month ready to sign;
- ``annotations``: a note on why a KPI moved in a month;
- ``kpis``: KPI definitions and their targets (a change that alters a month's figure or colour
  makes the months it affects owed a roll-up);
- ``sources``: a metric source's configuration and the mappings of its queries to KPIs;
- ``upsert`` and ``rollup_sql``: the set-based SQL under ``ingest`` and ``rollup``.

Month arithmetic is shared by every app, in ``scoreboard.months``.
"""
