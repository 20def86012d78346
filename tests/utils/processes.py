"""Our own processes under test: `hotline worker` and friends, started as a user would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def hotline_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update(
        {
            "HOTLINE_ENVIRONMENT": settings.environment.value,
            "HOTLINE_DATABASE_URL": settings.database_url,
            "HOTLINE_VAR_DIR": str(settings.var_dir),
            "HOTLINE_TEMPORAL_ADDRESS": settings.temporal_address,
            "HOTLINE_TEMPORAL_TASK_QUEUE": settings.temporal_task_queue,
            "HOTLINE_TEMPORAL_SEARCH_ATTRIBUTES": str(settings.temporal_search_attributes),
            "HOTLINE_SMART_DISPATCH": str(settings.smart_dispatch),
            "HOTLINE_DISPATCH_MODEL_PATH": str(settings.model_path),
            "HOTLINE_API_PORT": str(settings.api_port),
            "HOTLINE_TEMPORAL_UI_PORT": str(settings.temporal_ui_port),
            "HOTLINE_TRUSTED_PROXIES": settings.trusted_proxies,
            "HOTLINE_LOGIN_WINDOW_S": str(settings.login_window_s),
            "HOTLINE_TEMPORAL_METRICS_ADDRESS": settings.temporal_metrics_address,
            "HOTLINE_OUTBOX_LEASE_S": str(settings.outbox_lease_s),
            "HOTLINE_SPIKE_WATCH": str(settings.spike_watch),
        }
    )
    if settings.secret_key:  # unset: `hotline up` makes one, other commands need none
        env["HOTLINE_SECRET_KEY"] = settings.secret_key
    return env


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def start_hotline(
    settings: Settings,
    *args: str,
    log: Path,
    sigint_ignored: bool = False,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start `hotline ARGS`; `sigint_ignored` starts it as a shell's background job would be;
    `env` adds variables (HOTLINE_LOG_FORMAT...) to those of `settings`."""
    with log.open("ab") as handle:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "cli.main", *args],
            cwd=ROOT,
            env={**hotline_env(settings), **(env or {})},
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_ignore_sigint if sigint_ignored else None,  # noqa: PLW1509
        )


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 20) -> int:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode
