"""Alembic migrations; `hotline db upgrade` runs them (see models/migrate.py)."""
