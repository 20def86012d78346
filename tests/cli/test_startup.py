"""`hotline` starts at once: `import cli.main` leaves the service's heavy parts unimported.

Every command used to take 9–10 s because the sub-apps imported aiogram, scikit-learn,
matplotlib and temporalio at module top (issue 14). Checked in a fresh interpreter, since this
test process has imported everything already; how fast it is, bench/cli_start.py says.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The service's parts; `models` and sqlalchemy too: importing the tables costs most of a second
# on a busy machine, and the choices the CLI offers come from `core.enums`.
HEAVY = (
    "aiogram",
    "sklearn",
    "matplotlib",
    "temporalio",
    "uvicorn",
    "fastapi",
    "alembic",
    "sqlalchemy",
    "models",
)


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  (our interpreter, our code)
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_importing_the_cli_imports_no_heavy_part_of_the_service() -> None:
    done = _run(
        "import json, sys; import cli.main; "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_help_lists_every_command_without_importing_heavy_parts() -> None:
    done = _run(
        "import json, sys\n"
        "from typer.testing import CliRunner\n"
        "from cli.main import app\n"
        "result = CliRunner().invoke(app, ['--help'], terminal_width=200)\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(json.dumps({'output': result.output, 'code': result.exit_code, 'heavy': heavy}))"
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["code"] == 0
    assert result["heavy"] == []
    lines = [line.strip("│ ") for line in result["output"].splitlines()]
    for command, help_text in {
        "up": "Start the whole service",
        "case": "Show cases and act on them as staff.",
        "units": "Responsible units",
        "db": "Database schema and reference data.",
        "dispatch": "Smart dispatch",
        "chat": "The Telegram bot",
        "report": "Governance analytics",
        "speech": "Offline speech-to-text",
    }.items():
        assert any(line.split()[:1] == [command] and help_text in line for line in lines), (
            f"{command!r} with {help_text!r} not in:\n{result['output']}"
        )
