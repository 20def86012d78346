"""`hotline up` (what `make run` calls) brings the whole service up and Ctrl-C takes it down."""

from __future__ import annotations

import signal
import socket
import stat
import time
from pathlib import Path

import httpx
import pytest
from rich.console import Console

from auth.tokens import issue_api_token
from cli.supervisor import print_listening
from core.db import make_engine
from core.settings import PLACEHOLDER_SECRET, Environment, Settings, get_settings
from models.enums import StaffRole
from tests.utils.factories import make_submission
from tests.utils.processes import start_hotline, stop
from tests.utils.servers import free_port
from tests.utils.staff import make_staff


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _wait_healthy(url: str, process: object, timeout_s: float = 120) -> httpx.Response:
    deadline = time.monotonic() + timeout_s
    last: httpx.Response | None = None
    while time.monotonic() < deadline:
        assert process.poll() is None, "hotline up exited during start-up"  # type: ignore[attr-defined]
        try:
            last = httpx.get(f"{url}/healthz", timeout=5)
            if last.status_code == 200:
                return last
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"never healthy: {last.text if last else 'no answer'}")


def _wait_for_text(log: Path, text: str, timeout_s: float = 30) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        output = log.read_text()
        if text in output:
            return output
        time.sleep(0.2)
    raise AssertionError(f"'{text}' never appeared in {log}")


def test_up_starts_everything_on_embedded_defaults_and_ctrl_c_stops_it(tmp_path: Path) -> None:
    temporal_port, ui_port, api_port = free_port(), free_port(), free_port()
    settings = Settings(
        environment=Environment.development,
        var_dir=tmp_path / "var",
        temporal_address=f"127.0.0.1:{temporal_port}",
        temporal_ui_port=ui_port,
        api_port=api_port,
        _env_file=None,  # type: ignore[call-arg]
    )
    log = tmp_path / "up.log"
    # As `make run &` from a script starts it: with SIGINT inherited as ignored.
    process = start_hotline(settings, "up", log=log, sigint_ignored=True)
    url = f"http://127.0.0.1:{api_port}"
    try:
        health = _wait_healthy(url, process)
        assert health.json()["database"] == {"ok": True, "detail": "sqlite"}
        assert health.json()["temporal"]["ok"] is True
        created = httpx.post(f"{url}/api/v1/requests", json=make_submission())
        assert created.status_code == 201
        _assert_forged_admin_token_refused(url, settings)
        output = _wait_for_text(log, "Ctrl-C stops everything")  # printed once all are up
        assert f"http://127.0.0.1:{api_port}" in output
        assert f"127.0.0.1:{temporal_port}" in output
    finally:
        code = stop(process, signal.SIGINT, timeout=60)
    assert code == 0, log.read_text()
    assert not any(_listening(port) for port in (temporal_port, ui_port, api_port))
    assert (tmp_path / "var" / "hotline.db").exists()
    assert (tmp_path / "var" / "temporal.db").exists()
    secret = tmp_path / "var" / "secret_key"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600  # made by `up`, for its owner only
    assert "│ secret key " in log.read_text()  # where it lives, in the table `up` prints
    assert "│ report font " in log.read_text()  # the CJK font file, or what to install


def _assert_forged_admin_token_refused(url: str, settings: Settings) -> None:
    """Defect 7 of issue 13: with no secret set, `up` used to sign with `change-me`."""
    engine = make_engine(settings.database_url)
    try:
        admin = make_staff(engine, StaffRole.admin)
    finally:
        engine.dispose()
    forged = issue_api_token(PLACEHOLDER_SECRET, admin.username, 0)
    answer = httpx.get(f"{url}/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
    assert answer.status_code == 401


def test_up_names_the_report_font_or_says_once_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def table(**env: str) -> str:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        console = Console(record=True, width=300)
        try:
            print_listening([], {"database": "sqlite"}, console)
        finally:
            get_settings.cache_clear()
        return console.export_text()

    font = tmp_path / "font.ttc"
    font.write_bytes(b"a font file")
    found = table(HOTLINE_CJK_FONT=str(font))
    assert f"│ report font │ {font}" in found and "no CJK font" not in found
    missing = table(HOTLINE_CJK_FONT=str(tmp_path / "none.ttc"))
    assert "│ report font │ none (see below)" in missing
    assert missing.count("no CJK font for reports") == 1
    assert "install fonts-wqy-zenhei" in missing and "fonts-noto-cjk" in missing
