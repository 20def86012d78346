"""`hotline report watch` creates the spike watch's schedule; `--off` removes it, and says so
plainly when there was none."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from cli.report import app
from core.settings import Settings, get_settings
from tests.utils.processes import hotline_env

runner = CliRunner()


@pytest.fixture
def hotline(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in hotline_env(settings).items():
        if name.startswith("HOTLINE_"):
            monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_watch_creates_the_schedule_and_off_removes_it(hotline: None) -> None:
    created = runner.invoke(app, ["watch", "--every", "15"])
    assert created.exit_code == 0, created.output
    assert "schedule hotline-spike-watch: spike check every 15 min" in created.output
    removed = runner.invoke(app, ["watch", "--off"])
    assert removed.exit_code == 0, removed.output
    assert "schedule hotline-spike-watch removed" in removed.output
    again = runner.invoke(app, ["watch", "--off"])
    assert again.exit_code == 0, again.output
    assert "no schedule hotline-spike-watch to remove" in again.output
