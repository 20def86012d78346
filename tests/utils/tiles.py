"""A local map tile server for tests: every tile is the same small grid picture, so the map's
pages load without the internet (the settings' `map_tile_url` points here)."""

from __future__ import annotations

import struct
import zlib

from fastapi import FastAPI
from fastapi.responses import Response

TILE_SIZE = 256


def grid_png(size: int = TILE_SIZE) -> bytes:
    """A light tile with a darker line on its top and left edges, as PNG bytes."""
    rows = []
    for y in range(size):
        row = bytearray([0])  # filter: none
        for x in range(size):
            edge = x < 2 or y < 2
            row += bytes((200, 205, 212) if edge else (238, 240, 236))
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


def tile_app() -> FastAPI:
    app = FastAPI()
    tile = grid_png()
    app.state.served = 0

    @app.get("/tiles/{z}/{x}/{y}.png")
    def serve_tile(z: int, x: int, y: int) -> Response:
        app.state.served += 1
        return Response(tile, media_type="image/png")

    return app
