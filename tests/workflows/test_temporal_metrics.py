"""`hotline worker` serves the Temporal SDK's metrics on HOTLINE_TEMPORAL_METRICS_ADDRESS, and
says clearly when that address is taken (a second worker on the same port, say)."""

from __future__ import annotations

import socket
import time
import uuid
from pathlib import Path

import httpx

from core.settings import Settings
from tests.utils.processes import start_hotline, stop
from tests.utils.servers import free_port


def _worker_settings(settings: Settings, address: str) -> Settings:
    return settings.model_copy(
        update={
            "temporal_metrics_address": address,
            "temporal_task_queue": f"metrics-{uuid.uuid4().hex[:8]}",
        }
    )


def test_a_running_worker_serves_temporal_metrics(settings: Settings, tmp_path: Path) -> None:
    address = f"127.0.0.1:{free_port()}"
    log = tmp_path / "worker.log"
    worker = start_hotline(_worker_settings(settings, address), "worker", log=log)
    try:
        body = ""
        for _ in range(600):  # a busy machine starts a worker slowly; no time is asserted
            assert worker.poll() is None, log.read_text()
            try:
                body = httpx.get(f"http://{address}/metrics", timeout=5).text
            except httpx.TransportError:
                body = ""
            if "temporal_" in body:
                break
            time.sleep(0.2)
        assert "temporal_" in body, f"no Temporal metrics at {address}:\n{body[:2000]}"
    finally:
        stop(worker)


def test_a_taken_metrics_port_stops_the_worker_with_a_clear_error(
    settings: Settings, tmp_path: Path
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        log = tmp_path / "worker.log"
        worker = start_hotline(_worker_settings(settings, address), "worker", log=log)
        try:
            code = worker.wait(timeout=120)
        finally:
            stop(worker)
    output = " ".join(log.read_text().split())  # rich wraps long lines
    assert code == 2, output
    assert (
        f"cannot serve Temporal metrics on HOTLINE_TEMPORAL_METRICS_ADDRESS='{address}'" in output
    )
    assert "Address already in use" in output
