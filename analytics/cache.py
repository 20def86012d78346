"""Built reports kept on disk per (scope, kind, period), so a repeated request is not rebuilt.

`<var_dir>/report-cache/<scope>/<kind>-<label>/` holds `report.json` (the figures) and, once a
file was asked for, every rendered format (`report.html`, `.pdf`, `.xlsx`, `<table>.csv`).
A report built after its period ended is final (docs/analytics.md) and kept; one built while
its period was running is built again once it is older than `HOTLINE_REPORTS_CACHE_SECONDS`.
Files are rendered from the `report.json` beside them, and again whenever that is rebuilt.

A process builds one report at a time (so requests cannot pile up report builds on the CPU)
and checks the cache again once it holds the lock, so concurrent requests for one report
build it once. API processes share the directory; every file is replaced atomically, so a
reader never sees half a file. The directory can be deleted at any time.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

from sqlalchemy.engine import Engine

from analytics.periods import Period
from analytics.render import write_report
from analytics.reports import Report, build_report
from analytics.scope import Scope
from core.clock import utcnow
from core.settings import Settings

_building = threading.RLock()


def cache_directory(settings: Settings, period: Period, scope: Scope) -> Path:
    return settings.var_dir / "report-cache" / scope.key / f"{period.kind.value}-{period.label}"


def cached_report(*, engine: Engine, settings: Settings, period: Period, scope: Scope) -> Report:
    """The report's figures, built only when there are none fresh in the cache."""
    path = cache_directory(settings, period, scope) / "report.json"
    if not _fresh(path, period, settings):
        with _building:
            if not _fresh(path, period, settings):
                report = build_report(engine=engine, settings=settings, period=period, scope=scope)
                path.parent.mkdir(parents=True, exist_ok=True)
                _write_atomically(path, report.model_dump_json().encode())
                return report
    return Report.model_validate_json(path.read_bytes())


def cached_files(*, engine: Engine, settings: Settings, period: Period, scope: Scope) -> Path:
    """The directory of the report's rendered files, rendered only when they are not current."""
    directory = cache_directory(settings, period, scope)
    if _rendered(directory, period, settings):
        return directory
    with _building:
        if _rendered(directory, period, settings):
            return directory
        report = cached_report(engine=engine, settings=settings, period=period, scope=scope)
        with tempfile.TemporaryDirectory(dir=directory) as scratch:
            files = write_report(report, Path(scratch))
            # file by file, the PDF last: it marks the set as rendered
            for path in sorted(files.directory.iterdir(), key=lambda p: p.suffix == ".pdf"):
                os.replace(path, directory / path.name)
    return directory


def _fresh(path: Path, period: Period, settings: Settings) -> bool:
    try:
        made = path.stat().st_mtime
    except FileNotFoundError:
        return False
    final = made > period.end.timestamp()
    return final or utcnow().timestamp() - made < settings.reports_cache_seconds


def _rendered(directory: Path, period: Period, settings: Settings) -> bool:
    """Files rendered from the `report.json` there, which is itself fresh."""
    figures, pdf = directory / "report.json", directory / "report.pdf"
    if not (_fresh(figures, period, settings) and pdf.is_file()):
        return False
    return pdf.stat().st_mtime >= figures.stat().st_mtime


def _write_atomically(path: Path, data: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as handle:
        handle.write(data)
    os.replace(handle.name, path)
