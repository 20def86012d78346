"""Redaction cost: `core.redaction.redact` on 1 MB texts against the regex it replaced.

Why it exists: defect 5 of issue 13. The old e-mail pattern of `api/open311/service.py`
(`[\\w.+-]+@[\\w-]+(?:\\.[\\w-]+)+`) backtracks over every run of word characters looking for
an '@' that is not there: quadratic in a text without '@'. Sixty planted long descriptions
and four parallel anonymous GETs stalled `/healthz` for 15 s. `core.redaction` scans from
each '@' a bounded distance instead, and hands phone numbers to libphonenumber's matcher.

For each shape of text it times the new `redact` on `--size` characters, and the old masking
(its three patterns, copied here as they were) on the same text, or, when that would take
too long, on a smaller slice (`--old-size`), extrapolated quadratically for the e-mail-free
shapes (that is what it is). It prints the times, the ratio and the load average (other
work on the machine skews every figure); never a pass/fail verdict.

    .venv/bin/python -m bench.redaction
    .venv/bin/python -m bench.redaction --size 200000 --old-size 20000
"""

from __future__ import annotations

import argparse
import os
import re
import time
from collections.abc import Callable

from rich.console import Console
from rich.table import Table

from core.redaction import redact

# The masking api/open311/service.py did before issue 13, verbatim.
_OLD_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_OLD_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
_OLD_PHONE = re.compile(r"(?<![0-9])\+?\d(?:[\d \-]{5,}\d)(?![0-9])")


def old_redact(text: str) -> str:
    text = _OLD_EMAIL.sub("[email]", text)
    text = _OLD_ID_NUMBER.sub("[id]", text)
    return _OLD_PHONE.sub(
        lambda m: "[phone]" if sum(c.isdigit() for c in m.group()) >= 7 else m.group(), text
    )


def _repeat(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


SHAPES: dict[str, tuple[Callable[[int], str], bool]] = {
    # name: (text of n characters, whether the old cost grows with the square of n)
    "word characters, no '@' (the attack)": (lambda n: _repeat("a", n), True),
    "dotted words of 450 chars, no '@'": (lambda n: _repeat("abcdefgh." * 50 + " ", n), False),
    "Chinese prose with dates and case numbers": (
        lambda n: _repeat("路灯坏了一周，2026-11-30 13:45 已派单，案件20261130-000123。", n),
        False,
    ),
    "prose with a phone and an e-mail per line": (
        lambda n: _repeat("请联系 13812345678 或 zhang.wei@example.com 处理。\n", n),
        False,
    ),
}


def _timed(function: Callable[[str], str], text: str) -> float:
    start = time.perf_counter()
    function(text)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="characters per text")
    parser.add_argument(
        "--old-size", type=int, default=30_000, help="the old regex's slice of a quadratic shape"
    )
    args = parser.parse_args(argv)
    console = Console(width=120)
    table = Table(title=f"redact on {args.size:,} characters")
    columns = ("text", "new (s)", "old measured on", "old (s)", "old at full size (s)", "old/new")
    for column in columns:
        table.add_column(column, justify="left" if column == "text" else "right")
    for name, (make, quadratic) in SHAPES.items():
        new = _timed(redact, make(args.size))
        measured = min(args.old_size, args.size) if quadratic else args.size
        old = _timed(old_redact, make(measured))
        # A slice only for the quadratic shape, scaled by the square of the sizes' ratio.
        full = old * (args.size / measured) ** 2
        estimate = f"{full:.3f}" + (" (est. n²)" if measured < args.size else "")
        table.add_row(
            name, f"{new:.3f}", f"{measured:,}", f"{old:.3f}", estimate, f"{full / new:,.1f}"
        )
    console.print(table)
    one, five, fifteen = os.getloadavg()
    console.print(f"load average: {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
