"""Governance analytics: the three rates, rankings, hot topics, spikes and reports.

Every figure is computed from the append-only `case_events` timeline and the `cases` rows by
SQL aggregation in the database; nothing here keeps a counter of its own. Definitions are in
docs/analytics.md.
"""
