"""Temporal workflows and activities: the case lifecycle."""
