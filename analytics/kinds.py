"""The event kinds the figures read, in one place for the fact keeper and both query sets."""

from __future__ import annotations

RESOLVING = ("resolved", "answered_directly")
CALLBACK_OUTCOMES = ("survey_answered", "survey_unanswered")
DEADLINES = ("acknowledge", "respond", "resolve")
DISPATCHES = ("dispatched", "redispatched")  # a supervisor's 改派 is a dispatch too
PROCESS_KINDS = (*DISPATCHES, "returned", "reopened", "sla_breach", *RESOLVING)
