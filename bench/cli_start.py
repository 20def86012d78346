"""CLI start-up: the wall time of `hotline --help` and of `import cli.main`, and who costs most.

Why it exists: issue 14. Every `hotline` command, `--help` included, took 9–10 s because
`cli/main.py` imported every sub-app and they imported aiogram, scikit-learn, matplotlib,
temporalio, uvicorn and the tables at module top. The commands now import those inside their
functions; this benchmark shows what starting still costs.

Each command runs `--runs` times in a fresh interpreter (the same one as this script, with the
project on PYTHONPATH). Figures are medians, set against `python -c pass` measured in the same
run, with the load average beside them (other work on a shared machine skews every figure);
then the `--top` slowest imports of `python -X importtime -c "import cli.main"` (cumulative).
Figures only, never a pass/fail verdict.

    .venv/bin/python -m bench.cli_start
    .venv/bin/python -m bench.cli_start --runs 10 --top 20
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
COMMANDS: dict[str, list[str]] = {
    "python -c pass (baseline)": ["-c", "pass"],
    "import typer, rich (the floor of any typer CLI)": ["-c", "import typer, rich.console"],
    "import cli.main": ["-c", "import cli.main"],
    "hotline --help": ["-m", "cli.main", "--help"],
    "hotline case --help": ["-m", "cli.main", "case", "--help"],
    "hotline units list --help": ["-m", "cli.main", "units", "list", "--help"],
}


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def wall_times(argv: list[str], runs: int) -> list[float]:
    """Seconds from spawning `python argv` to its exit, `runs` times."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(  # noqa: S603  (our interpreter, our arguments)
            [sys.executable, *argv], env=_env(), cwd=ROOT, check=True, capture_output=True
        )
        times.append(time.perf_counter() - start)
    return times


def top_imports(count: int) -> list[tuple[str, float, float]]:
    """(module, cumulative s, self s) of the slowest imports of `import cli.main`."""
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-X", "importtime", "-c", "import cli.main"],
        env=_env(),
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        own, cumulative, name = (part.strip() for part in line[len("import time:") :].split("|"))
        rows.append((name, int(cumulative) / 1e6, int(own) / 1e6))
    return sorted(rows, key=lambda row: row[1], reverse=True)[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each command (median)")
    parser.add_argument("--top", type=int, default=15, help="slowest imports listed")
    args = parser.parse_args()
    console = Console()
    load = os.getloadavg()
    console.print(
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores; "
        f"{args.runs} runs each, median shown"
    )
    table = Table(title="start-up wall time")
    for column in ("command", "median s", "min s", "max s", "× baseline"):
        table.add_column(column, justify="left" if column == "command" else "right")
    baseline: float | None = None
    for name, argv in COMMANDS.items():
        times = wall_times(argv, args.runs)
        median = statistics.median(times)
        baseline = baseline or median
        table.add_row(
            name,
            f"{median:.3f}",
            f"{min(times):.3f}",
            f"{max(times):.3f}",
            f"{median / baseline:.1f}",
        )
    console.print(table)
    imports = Table(title="slowest imports of `import cli.main` (-X importtime)")
    for column in ("module", "cumulative s", "self s"):
        imports.add_column(column, justify="left" if column == "module" else "right")
    for module, cumulative, own in top_imports(args.top):
        imports.add_row(module, f"{cumulative:.3f}", f"{own:.3f}")
    console.print(imports)
    load = os.getloadavg()
    console.print(f"load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
