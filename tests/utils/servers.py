"""Real servers for tests: the API under uvicorn on a free port, in a background thread."""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

# Below the kernel's ephemeral range (32768-60999): a port the OS hands out for "any free
# port" is the kind the Temporal dev server also takes for its own HTTP and metrics listeners,
# so choosing from that range lets the two collide.
_PORTS = range(20000, 32000)


def free_port() -> int:
    """A port on 127.0.0.1 that is free now and outside the ephemeral range."""
    for _ in range(200):
        port = random.choice(_PORTS)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port found in 20000-31999")


@contextmanager
def serve(app: FastAPI, *, trusted_proxies: Sequence[str] = ()) -> Iterator[str]:
    """Serve `app` over real HTTP on 127.0.0.1 and yield its base URL.

    As `hotline api` does, X-Forwarded-For counts only from `trusted_proxies` (settings'
    `trusted_proxy_list`); by default from nobody.
    """
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        forwarded_allow_ips=list(trusted_proxies),
        # Longer than any pause in a test: uvicorn's 5 s default closes an idle keep-alive
        # connection just as a slow, loaded test reuses it (an httpx ReadError, seen once).
        timeout_keep_alive=120,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test API server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
