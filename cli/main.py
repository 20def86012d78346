"""The `hotline` command line: `up` for everything, or each part on its own.

Every command starts in a fraction of a second because the modules of `cli/` import only
typer, rich and light vocabulary modules (`core.enums`, `analytics.dimensions`) at their top;
the service's parts (aiogram, scikit-learn, matplotlib, temporalio, uvicorn, sqlalchemy and
the tables…) are imported inside the command that uses them. tests/cli/test_startup.py keeps
it so; bench/cli_start.py measures it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

from cli.apikey import app as apikey_app
from cli.calendar import app as calendar_app
from cli.case import app as case_app
from cli.catalog import app as catalog_app
from cli.chat import app as chat_app
from cli.db import app as db_app
from cli.db import redact_url
from cli.dispatch import app as dispatch_app
from cli.report import app as report_app
from cli.speech import app as speech_app
from cli.staff import app as staff_app
from cli.supervisor import (
    Child,
    StartupError,
    ensure_port_free,
    print_listening,
    stop_all,
    stop_on_signals,
    supervise,
    temporal_binary,
    wait_for_port,
)
from cli.units import app as units_app

if TYPE_CHECKING:
    from core.settings import Settings

app = typer.Typer(help="hotline: a city's citizen service hotline.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(case_app, name="case")
app.add_typer(units_app, name="units")
app.add_typer(catalog_app, name="catalog")
app.add_typer(dispatch_app, name="dispatch")
app.add_typer(apikey_app, name="apikey")
app.add_typer(staff_app, name="staff")
app.add_typer(chat_app, name="chat")
app.add_typer(report_app, name="report")
app.add_typer(speech_app, name="speech")
app.add_typer(calendar_app, name="calendar")
console = Console()
API_WORKER_HEALTHCHECK_S = 60


@app.callback()
def _logging() -> None:
    # Every command logs the same way: HOTLINE_LOG_LEVEL, HOTLINE_LOG_FORMAT (core/logging.py).
    from pydantic import ValidationError

    from core.logging import configure_logging
    from core.settings import get_settings

    try:
        settings = get_settings()
    except ValidationError:
        return  # the command itself says what is wrong with the settings
    configure_logging(settings)


@app.command()
def up(
    workers: int = typer.Option(1, min=1, help="Case worker processes."),
    api_workers: int = typer.Option(1, min=1, help="API (uvicorn) worker processes."),
) -> None:
    """Start the whole service on embedded defaults: Temporal dev server, workers and the API."""
    from core.settings import get_settings

    settings = get_settings()
    stop_on_signals()
    extra = {"database": redact_url(settings.database_url)}
    host, port = _split_address(settings.temporal_address)
    try:
        ensure_port_free(host, port, "the Temporal dev server")
        ensure_port_free(settings.api_host, settings.api_port, "the API")
        temporal = _temporal_child(host, port)
    except StartupError as exc:
        console.print(f"[red]cannot start:[/] {exc}")
        raise typer.Exit(2) from exc
    children = [temporal]
    try:
        secret = _secret_for_children(extra)
        temporal.start()
        wait_for_port(host, port, temporal, timeout_s=60)
        _upgrade_and_seed()
        me = [sys.executable, "-m", "cli.main"]
        for index in range(workers):
            worker = Child(
                f"case worker {index + 1}",
                [*me, "worker"],
                f"task queue {settings.temporal_task_queue}",
                env=secret,
            )
            children.append(worker)
            worker.start()
        api = Child(
            "API",
            [*me, "api", "--workers", str(api_workers)],
            f"http://{settings.api_host}:{settings.api_port} (docs: /docs, health: /healthz)",
            env=secret,
        )
        children.append(api)
        api.start()
        wait_for_port(settings.api_host, settings.api_port, api, timeout_s=60)
    except (StartupError, KeyboardInterrupt) as exc:
        console.print(f"[red]start-up failed:[/] {exc}" if isinstance(exc, StartupError) else "")
        stop_all(children, console)
        raise typer.Exit(1) from exc
    print_listening(children, extra, console)
    raise typer.Exit(supervise(children, console))


def _secret_for_children(extra: dict[str, str]) -> dict[str, str]:
    """HOTLINE_SECRET_KEY for the API and workers: the one set, else the laptop's own."""
    from cli.secret_key import laptop_secret_key
    from core.settings import get_settings

    settings = get_settings()
    if settings.secret_key:
        return {}  # already in their environment (or .env), and checked by Settings
    secret, path = laptop_secret_key(settings.var_dir)
    extra["secret key"] = str(path)
    return {"HOTLINE_SECRET_KEY": secret}


def _signing_settings() -> Settings:
    """The settings of a process that signs or checks tokens: refused without a real secret."""
    from core.settings import SecretKeyInvalid, get_settings

    settings = get_settings()
    try:
        settings.require_secret_key()
    except SecretKeyInvalid as exc:
        console.print(f"[red]cannot start:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    return settings


@app.command()
def worker() -> None:
    """Run a case worker against HOTLINE_TEMPORAL_ADDRESS and HOTLINE_DATABASE_URL."""
    from core.temporal import TemporalMetricsUnavailable
    from workflows.worker import run_worker

    settings = _signing_settings()
    try:
        asyncio.run(run_worker(settings))
    except KeyboardInterrupt:
        pass
    except TemporalMetricsUnavailable as exc:
        console.print(f"[red]cannot start:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc


@app.command()
def sender() -> None:
    """Run the outbox sender alone: it sends every queued notice to citizens and units.

    Each `hotline worker` runs one already; run this when workers start with
    HOTLINE_OUTBOX_SENDER_IN_WORKER=false (a sender of its own, scaled apart from the workers).
    """
    from workflows.worker import run_sender

    settings = _signing_settings()
    try:
        asyncio.run(run_sender(settings))
    except KeyboardInterrupt:
        pass


@app.command()
def api(
    workers: int = typer.Option(1, min=1, help="uvicorn worker processes."),
) -> None:
    """Serve the API with uvicorn on HOTLINE_API_HOST:HOTLINE_API_PORT."""
    import uvicorn

    from core.logging import logging_config

    settings = _signing_settings()
    uvicorn.run(
        "api.main:create_app",
        factory=True,
        host=settings.api_host,
        port=settings.api_port,
        workers=workers,
        log_config=logging_config(settings),  # applied again in each worker process
        log_level=settings.log_level.lower(),
        # X-Forwarded-For names the client only when a trusted proxy sent it; by default
        # nobody is trusted (uvicorn's own default trusts any local process).
        forwarded_allow_ips=settings.trusted_proxy_list,
        # uvicorn kills a worker process that does not answer its ping within this time, and
        # ours import for several seconds on a busy machine (the default 5 s made them loop
        # forever being killed and restarted); a really hung process is still replaced.
        timeout_worker_healthcheck=API_WORKER_HEALTHCHECK_S,
    )


def _upgrade_and_seed() -> None:
    from core.db import get_engine
    from core.settings import get_settings
    from models import migrate
    from models.seed import seed

    settings = get_settings()
    with console.status("migrating the database…"):
        migrate.upgrade(settings.database_url)
        report = seed(engine=get_engine(settings.database_url))
    console.print(
        f"database ready ({redact_url(settings.database_url)}); seeded {report.units_added} units, "
        f"{report.categories_added} categories"
    )


def _temporal_child(host: str, port: int) -> Child:
    from core.settings import get_settings
    from workflows.search_attributes import SEARCH_ATTRIBUTES

    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    ensure_port_free(host, settings.temporal_ui_port, "the Temporal UI")
    argv = [
        temporal_binary(),
        "server",
        "start-dev",
        "--ip",
        host,
        "--port",
        str(port),
        "--ui-port",
        str(settings.temporal_ui_port),
        "--db-filename",
        str(settings.var_dir / "temporal.db"),
        "--log-level",
        "warn",
    ]
    for name, kind in SEARCH_ATTRIBUTES.items():
        argv += ["--search-attribute", f"{name}={kind}"]
    listens = f"{host}:{port} (web UI: http://{host}:{settings.temporal_ui_port})"
    return Child("Temporal dev server", argv, listens)


def _split_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host or "127.0.0.1", int(port)


def main() -> None:
    """The `hotline` command. It leaves with `os._exit` once the command is done: the Temporal
    client's Rust threads can outlive the event loop and abort CPython's finalisation
    (temporalio/sdk-python#300), turning a finished `hotline case ...` into a SIGABRT."""
    code: int
    try:
        app()
        code = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)  # noqa: T201 - what sys.exit("...") would print
            code = 1
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
