"""Each analytics test module gets a database of its own: its figures are exact, so no other
test's cases may be counted in them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from core.db import make_engine
from models import migrate
from models.seed import seed
from tests.utils.databases import fresh_database


@pytest.fixture(scope="module")
def history_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with fresh_database(tmp_path_factory.mktemp("analytics")) as url:
        migrate.upgrade(url)
        engine = make_engine(url)
        seed(engine=engine)
        yield engine
        engine.dispose()
