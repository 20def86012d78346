"""Governance analytics: the three rates, rankings, hot topics, spikes and reports.

Every figure is an SQL aggregation in the database over the `cases` rows and the per-case
facts kept with each event (analytics/facts.py), which `hotline report rebuild-facts` can
always recompute from the append-only `case_events` timeline. Definitions are in
docs/analytics.md; analytics/event_metrics.py computes them from the events alone.
"""
