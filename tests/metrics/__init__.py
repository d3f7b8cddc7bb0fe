"""The metrics: snapshots and their roll-up, ingestion, pulls from sources, CSV in and out, the ops-lead
workspace, freshness and alerts, the outbound fetcher's network guard and the sources' admin."""
