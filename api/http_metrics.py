"""Count and time every HTTP request by route template, for `/metrics`.

An ASGI middleware in front of the app: after the router has matched, starlette leaves the
route in `scope["route"]`, whose `path_format` is the template (`/api/v1/cases/{number}`).
The raw path is never a label: it holds case numbers and tokens, and every distinct value
would be a new time series. Requests no route matched (404s, scanners) share one label.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.metrics import HTTP_METHODS, HTTP_REQUEST_DURATION_SECONDS, HTTP_REQUESTS

UNMATCHED = "unmatched"


class HttpMetrics:
    """ASGI middleware: `hotline_http_requests_total` and the request duration histogram."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets when the app raises before answering

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            method = scope["method"] if scope["method"] in HTTP_METHODS else "other"
            route = route_template(scope)
            HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
            HTTP_REQUEST_DURATION_SECONDS.labels(method=method, route=route).observe(
                time.perf_counter() - started
            )


def route_template(scope: Scope) -> str:
    """The matched route's path template (the app mounts no sub-apps, so it is the whole path)."""
    template = getattr(scope.get("route"), "path_format", None)
    return template if isinstance(template, str) else UNMATCHED
