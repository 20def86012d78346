"""Notices: the outbox every message to a citizen or unit goes through, and the port channels
implement to deliver them. Below `workflows/` and `channels/`: both depend on it, it on neither."""
