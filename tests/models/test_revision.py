"""`hotline db revision -m ...` writes the next numbered migration for a model change, and
nothing when the models match the migrations. Run on a copy of the versions directory."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect
from typer.testing import CliRunner

from cli.main import app
from core.db import make_engine
from models import migrate
from tests.utils.processes import ROOT

# A model change made in a child process, so this session's SQLModel.metadata stays as shipped.
ADD_A_TABLE = """
import sys
from sqlmodel import Field, SQLModel
import models

class RevisionProbe(SQLModel, table=True):
    __tablename__ = "revision_probes"
    id: int | None = Field(default=None, primary_key=True)
    label: str = Field(max_length=40)

from cli.main import main
sys.argv = ["hotline", "db", "revision", "-m", "Add revision probes", "--versions", sys.argv[1]]
main()
"""


@pytest.fixture
def versions(tmp_path: Path) -> Path:
    copy = tmp_path / "versions"
    shutil.copytree(migrate.VERSIONS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def _files(directory: Path) -> set[str]:
    return {path.name for path in directory.glob("*.py")}


def test_no_model_change_writes_nothing(versions: Path) -> None:
    before = _files(versions)
    result = CliRunner().invoke(
        app, ["db", "revision", "-m", "nothing", "--versions", str(versions)]
    )
    assert result.exit_code == 0, result.output
    assert "no changes" in result.output
    assert _files(versions) == before


def test_a_new_table_becomes_the_next_numbered_migration(versions: Path, tmp_path: Path) -> None:
    head = migrate.head_revision(versions_dir=versions)
    expected = f"{int(head) + 1:04d}"
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", ADD_A_TABLE, str(versions)],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    written = versions / f"{expected}_add_revision_probes.py"
    assert written.exists(), done.stdout
    source = written.read_text()
    assert f"revision: str = '{expected}'" in source or f'revision: str = "{expected}"' in source
    assert f"down_revision: str | None = '{head}'" in source or f'"{head}"' in source
    assert "revision_probes" in source
    assert migrate.head_revision(versions_dir=versions) == expected
    url = f"sqlite:///{tmp_path / 'check.db'}"
    migrate.upgrade(url, versions_dir=versions)
    engine = make_engine(url)
    try:
        assert "revision_probes" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_a_message_without_words_is_refused(versions: Path) -> None:
    result = CliRunner().invoke(app, ["db", "revision", "-m", " -- ", "--versions", str(versions)])
    assert result.exit_code == 2
    assert "the message must say what changes" in result.output
