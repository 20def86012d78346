"""Process metrics for Prometheus: the objects the API and the speech pipeline observe into.

Kept apart from `analytics.prometheus` (which reads case figures from the database) so that
light parts such as `speech/` can observe without importing the tables. Labels are closed
vocabularies only: a route *template* (`/api/v1/cases/{number}`), a method, a status code, a
language code; never a raw path, a case number, a contact or a text (docs/security.md says
`/metrics` is public).
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

HTTP_REQUESTS = Counter(
    "hotline_http_requests",
    "HTTP requests answered, per method, route template and status code.",
    ["method", "route", "status"],
)
HTTP_REQUEST_DURATION_SECONDS = Histogram(
    "hotline_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response, per method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
STT_LATENCY_SECONDS = Histogram(
    "hotline_stt_latency_seconds",
    "Speech-to-text latency: from the end of the audio to the final transcript, per language.",
    ["language"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32),
)
