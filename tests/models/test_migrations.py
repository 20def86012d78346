"""Migrations build the schema the models describe, on an empty database of either kind."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

from core.db import make_engine
from core.settings import Settings
from intake.service import accept_intake
from models import migrate
from tests.utils.databases import fresh_database
from tests.utils.factories import make_intake


def test_upgrade_takes_an_empty_database_to_head(tmp_path: Path) -> None:
    with fresh_database(tmp_path) as url:
        migrate.upgrade(url)
        engine = make_engine(url)
        try:
            assert migrate.current_revision(engine) == migrate.head_revision()
            assert {"cases", "case_events", "citizens", "units", "categories"} <= set(
                inspect(engine).get_table_names()
            )
        finally:
            engine.dispose()


def test_upgrade_twice_is_harmless(tmp_path: Path) -> None:
    with fresh_database(tmp_path) as url:
        migrate.upgrade(url)
        migrate.upgrade(url)
        engine = make_engine(url)
        try:
            assert migrate.current_revision(engine) == migrate.head_revision()
        finally:
            engine.dispose()


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": migrate.include_name}
        )
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


@pytest.mark.parametrize(
    "statement",
    ["UPDATE case_events SET actor = 'tamperer'", "DELETE FROM case_events"],
)
def test_case_events_cannot_be_rewritten(
    engine: Engine, settings: Settings, statement: str
) -> None:
    accept_intake(engine=engine, intake=make_intake(), settings=settings)
    with pytest.raises(DBAPIError, match="case events are append-only"):
        with engine.begin() as connection:
            connection.execute(text(statement))
