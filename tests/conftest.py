"""Session-wide real parts: a migrated database, settings pointing at it, the API over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from api.main import create_app
from core.db import get_engine
from core.settings import Environment, Settings
from models import migrate
from models.seed import seed
from tests.utils.databases import fresh_database
from tests.utils.servers import serve


@pytest.fixture(scope="session")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("var")


@pytest.fixture(scope="session")
def database_url(var_dir: Path) -> Iterator[str]:
    with fresh_database(var_dir) as url:
        migrate.upgrade(url)
        yield url
        get_engine(url).dispose()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Engine:
    engine = get_engine(database_url)
    seed(engine=engine)
    return engine


@pytest.fixture(scope="session")
def settings(database_url: str, var_dir: Path, engine: Engine) -> Settings:
    return Settings(
        environment=Environment.test,
        database_url=database_url,
        var_dir=var_dir,
        temporal_address="127.0.0.1:1",  # tests that need Temporal override this
        temporal_connect_timeout_s=1.0,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture(scope="session")
def api_url(settings: Settings) -> Iterator[str]:
    with serve(create_app(settings)) as url:
        yield url
