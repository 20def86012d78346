"""What the model tests share: a seeded database of a test's own, for loads that change it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from core.db import get_engine
from models import migrate
from models.seed import seed
from tests.utils.databases import fresh_database


@pytest.fixture
def own_database(tmp_path: Path) -> Iterator[str]:
    """The URL of a freshly migrated and seeded database that no other test sees."""
    with fresh_database(tmp_path) as url:
        migrate.upgrade(url)
        seed(engine=get_engine(url))
        yield url
        get_engine(url).dispose()


@pytest.fixture
def own_engine(own_database: str) -> Engine:
    return get_engine(own_database)
