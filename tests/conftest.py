"""Session-wide real parts: a migrated database, a Temporal dev server, a `hotline worker`
process and the API over HTTP. Servers start once per session; tests isolate by unique keys."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from core.db import get_engine
from core.settings import Environment, Settings
from models import migrate
from models.api_key import IssuedKey, create_api_key
from models.enums import Channel
from models.seed import seed
from tests.utils.databases import fresh_database, server_url
from tests.utils.processes import start_hotline, stop
from tests.utils.servers import free_port, serve
from tests.utils.smtp_server import RecordingSmtp, recording_smtp, smtp_settings_for
from tests.utils.temporal import dev_server_path, test_server_path
from tests.utils.tiles import tile_app
from workflows.search_attributes import CASE_CATEGORY, CASE_STATUS, CASE_UNIT
from workflows.worker import build_worker


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


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def temporal_dev() -> AsyncIterator[WorkflowEnvironment]:
    """A real Temporal dev server (SQLite-backed, in memory) with our search attributes."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=dev_server_path(),
        port=free_port(),
        search_attributes=[CASE_STATUS, CASE_UNIT, CASE_CATEGORY],
    )
    yield env
    await env.shutdown()


@pytest_asyncio.fixture(loop_scope="session")
async def time_skipping() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server: days of deadlines pass in milliseconds.

    One server per test: a workflow one test leaves behind would hold the shared clock still.
    """
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=test_server_path()
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
def tile_url() -> Iterator[str]:
    """Map tiles from a local server: pages with the map fetch nothing from the internet."""
    with serve(tile_app()) as url:
        yield url


@pytest.fixture(scope="session")
def settings(
    database_url: str,
    var_dir: Path,
    engine: Engine,
    temporal_dev: WorkflowEnvironment,
    tile_url: str,
) -> Settings:
    target = temporal_dev.client.service_client.config.target_host
    return Settings(
        environment=Environment.test,
        database_url=database_url,
        var_dir=var_dir,
        temporal_address=target,
        temporal_task_queue=f"hotline-test-{uuid.uuid4().hex[:8]}",
        temporal_connect_timeout_s=5.0,
        smart_dispatch=False,  # tests that exercise it turn it on
        map_tile_url=f"{tile_url}/tiles/{{z}}/{{x}}/{{y}}.png",
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture(scope="session")
def integration_key(engine: Engine) -> IssuedKey:
    """An integration filing web requests on `POST /api/v1/requests` (`X-API-Key`)."""
    return create_api_key(
        engine=engine, name=f"web integration {uuid.uuid4().hex[:8]}", channel=Channel.web
    )


@pytest.fixture(scope="session")
def integration_headers(integration_key: IssuedKey) -> dict[str, str]:
    return {"X-API-Key": integration_key.secret}


@pytest.fixture(scope="session")
def temporal_client(temporal_dev: WorkflowEnvironment) -> Client:
    return temporal_dev.client


@pytest.fixture(scope="session")
def worker_process(settings: Settings, var_dir: Path) -> Iterator[None]:
    """`hotline worker` as its own process, exactly as `hotline up` runs it."""
    process = start_hotline(settings, "worker", log=var_dir / "worker.log")
    yield
    stop(process)


@pytest.fixture(scope="session")
def api_url(settings: Settings, worker_process: None) -> Iterator[str]:
    with serve(create_app(settings)) as url:
        yield url


# ---- e-mail: a local SMTP server that records messages (tests/utils/smtp_server.py) ----


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[RecordingSmtp]:
    """A local SMTP server for the session: `.host`, `.port`, `.messages`, `await .wait_for(to)`.

    Shared by every test of the session: use a unique address per test (`unique_email()`)."""
    with recording_smtp() as server:
        yield server


@pytest.fixture(scope="session")
def smtp_settings(settings: Settings, smtp_server: RecordingSmtp) -> Settings:
    """E-mail configured and pointed at `smtp_server`; its own task queue."""
    return smtp_settings_for(settings, smtp_server).model_copy(
        update={"temporal_task_queue": f"hotline-email-{uuid.uuid4().hex[:8]}"}
    )


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def email_worker(smtp_settings: Settings, temporal_client: Client) -> AsyncIterator[None]:
    """The case worker as `hotline worker` builds it: with SMTP configured it sends e-mail."""
    with ThreadPoolExecutor(max_workers=8) as executor:
        async with build_worker(temporal_client, smtp_settings, executor=executor):
            yield


@pytest.fixture(scope="session")
def email_url(smtp_settings: Settings, email_worker: None) -> Iterator[str]:
    """The API with SMTP configured (one-time codes by e-mail), cases on `email_worker`."""
    with serve(create_app(smtp_settings)) as url:
        yield url


# The PostgreSQL pass of `make test` sets HOTLINE_TEST_DATABASE_ONLY: a test whose fixtures never
# make a database gives the same answer on either server, and it already ran in the SQLite pass.
DATABASE_ONLY = "HOTLINE_TEST_DATABASE_ONLY"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not (os.environ.get(DATABASE_ONLY) and server_url()):
        return
    kept = [item for item in items if _makes_a_database(item)]
    dropped = [item for item in items if not _makes_a_database(item)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                f"{DATABASE_ONLY}: {len(dropped)} tests that make no database left out "
                "(they ran in the SQLite pass)"
            )


def _makes_a_database(item: pytest.Item) -> bool:
    """True when the test or any fixture it uses (transitively) opens a test database."""
    module = getattr(item, "module", None)
    if module is not None and any(
        getattr(module, helper.__name__, None) is helper for helper in (fresh_database, server_url)
    ):
        return True  # the module makes its own or asks which server: all of its tests
    # pytest offers no public view of the fixture definitions behind item.fixturenames.
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return True
    for name, definitions in info.name2fixturedefs.items():
        if name == "database_url":
            return True
        for definition in definitions:
            code = getattr(definition.func, "__code__", None)
            if code is not None and {"fresh_database", "server_url"} & set(code.co_names):
                return True
    return False
