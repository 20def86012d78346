"""The report cache: a finished period's report is built once, a running period's again once
it is older than HOTLINE_REPORTS_CACHE_SECONDS, and scopes never share an entry. Builds are
counted by the `hotline_report_builds_total` counter, not by timing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prometheus_client import REGISTRY
from sqlalchemy.engine import Engine

from analytics.cache import cached_files, cached_report
from analytics.periods import Period, PeriodKind, local_today, period_for
from analytics.scope import CITY, unit_scope
from core.clock import utcnow
from core.settings import Environment, Settings
from tests.analytics.history import add_case, local

TZ = "Asia/Shanghai"
STREET = "110105001"


def _settings(engine: Engine, var_dir: Path, cache_seconds: int) -> Settings:
    return Settings(
        environment=Environment.test,
        database_url=engine.url.render_as_string(hide_password=False),
        var_dir=var_dir,
        reports_cache_seconds=cache_seconds,
        _env_file=None,  # type: ignore[call-arg]
    )


def _builds() -> float:
    return REGISTRY.get_sample_value("hotline_report_builds_total", {"kind": "daily"}) or 0.0


def _today() -> Period:
    return period_for(PeriodKind.daily, local_today(utcnow(), TZ), TZ)


def test_a_finished_periods_report_is_built_once_whatever_the_ttl(
    history_engine: Engine, tmp_path: Path
) -> None:
    add_case(history_engine, at=local("2025-03-03 09:00"), unit=STREET, district="110105")
    settings = _settings(history_engine, tmp_path, cache_seconds=0)
    day = period_for(PeriodKind.daily, date(2025, 3, 3), TZ)
    before = _builds()
    first = cached_report(engine=history_engine, settings=settings, period=day, scope=CITY)
    again = cached_report(engine=history_engine, settings=settings, period=day, scope=CITY)
    directory = cached_files(engine=history_engine, settings=settings, period=day, scope=CITY)
    assert first == again and first.accepted == 1
    assert (directory / "report.pdf").is_file()
    assert _builds() - before == 1
    street = unit_scope(engine=history_engine, unit_code=STREET)
    own = cached_report(engine=history_engine, settings=settings, period=day, scope=street)
    assert (own.unit, own.accepted) == (STREET, 1)
    assert _builds() - before == 2


def test_a_running_periods_report_is_built_again_once_older_than_the_ttl(
    history_engine: Engine, tmp_path: Path
) -> None:
    expired = _settings(history_engine, tmp_path / "expired", cache_seconds=0)
    kept = _settings(history_engine, tmp_path / "kept", cache_seconds=3600)
    today = _today()
    before = _builds()
    for _ in range(2):
        cached_report(engine=history_engine, settings=expired, period=today, scope=CITY)
    assert _builds() - before == 2
    for _ in range(2):
        cached_report(engine=history_engine, settings=kept, period=today, scope=CITY)
        cached_files(engine=history_engine, settings=kept, period=today, scope=CITY)
    assert _builds() - before == 3
