"""Per-sender rate limiting, shared by the channels, so one number or chat cannot flood the hotline.

Fixed windows: a sender may send `limit` messages per `window_s` seconds on a channel; the next
ones are refused until the window ends. A refused sender is told once per window (the channel
asks `first_refusal`, which is true exactly once), then the channel stays silent, so the limiter
never answers a flood with a flood. Counts live in the database (`rate_limit_windows`), so every
API replica sees the same numbers; the memory store is for a single process and for tests.

The staff login and one-time-code throttles (`auth/throttle.py`) count their failures in the same
stores under channels of their own. Either store keeps one window per channel: the first count of
a new window deletes every sender's older windows of that channel, so a flood of senders cannot
make the store grow beyond what arrives within one window.
"""

from __future__ import annotations

import threading
from typing import Protocol

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from core.clock import Clock, utcnow
from core.db import session_scope
from core.settings import Settings
from models.channels import RateLimitWindow


class RateStore(Protocol):
    def hit(self, channel: str, sender: str, window_start: int) -> int:
        """Count one message in this window; return the window's count including it."""
        ...

    def count(self, channel: str, sender: str, window_start: int) -> int:
        """The window's count so far, without counting."""
        ...

    def clear(self, channel: str, sender: str) -> None:
        """Forget the sender's counts on this channel."""
        ...

    def mark_told(self, channel: str, sender: str, window_start: int) -> bool:
        """Remember the sender was told in this window; True only for the first call."""
        ...


def store_from_settings(settings: Settings, engine: Engine | None) -> RateStore:
    """The store `HOTLINE_CHANNEL_RATE_LIMIT_BACKEND` names."""
    if settings.channel_rate_limit_backend == "database":
        if engine is None:
            raise ValueError("the database rate limit store needs an engine")
        return DatabaseStore(engine)
    return MemoryStore()


class MemoryStore:
    """Counts in this process only; old windows are dropped as new ones start."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], tuple[int, int, bool]] = {}
        self._current: dict[str, int] = {}  # the newest window seen per channel

    def hit(self, channel: str, sender: str, window_start: int) -> int:
        with self._lock:
            self._drop_older(channel, window_start)
            start, count, told = self._windows.get((channel, sender), (window_start, 0, False))
            if start != window_start:
                count, told = 0, False
            self._windows[(channel, sender)] = (window_start, count + 1, told)
            return count + 1

    def count(self, channel: str, sender: str, window_start: int) -> int:
        with self._lock:
            start, count, _ = self._windows.get((channel, sender), (window_start, 0, False))
            return count if start == window_start else 0

    def clear(self, channel: str, sender: str) -> None:
        with self._lock:
            self._windows.pop((channel, sender), None)

    def _drop_older(self, channel: str, window_start: int) -> None:
        if self._current.get(channel, window_start) < window_start:
            old = [k for k, v in self._windows.items() if k[0] == channel and v[0] < window_start]
            for key in old:
                del self._windows[key]
        self._current[channel] = max(self._current.get(channel, window_start), window_start)

    def mark_told(self, channel: str, sender: str, window_start: int) -> bool:
        with self._lock:
            start, count, told = self._windows.get((channel, sender), (window_start, 0, False))
            if start != window_start:
                count, told = 0, False
            self._windows[(channel, sender)] = (window_start, count, True)
            return not told


class DatabaseStore:
    """Counts in `rate_limit_windows`; increments are single UPDATEs, so replicas never lose one."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._purged: dict[str, int] = {}  # per channel, the window older ones were deleted for

    def hit(self, channel: str, sender: str, window_start: int) -> int:
        self._drop_older(channel, window_start)
        for _ in range(3):  # a concurrent first hit may win the insert; then we update its row
            try:
                with session_scope(self.engine) as session:
                    return self._hit_in(session, channel, sender, window_start)
            except IntegrityError:
                continue
        raise RuntimeError(f"could not count a message from {sender} on {channel}")

    def _drop_older(self, channel: str, window_start: int) -> None:
        """Once per window and channel: windows that are over, nobody asks about them again."""
        if self._purged.get(channel, window_start - 1) >= window_start:
            return
        table = RateLimitWindow
        with session_scope(self.engine) as session:
            session.exec(  # type: ignore[call-overload]
                delete(table).where(
                    col(table.channel) == channel, col(table.window_start) < window_start
                )
            )
        self._purged[channel] = window_start

    def _hit_in(self, session: Session, channel: str, sender: str, window_start: int) -> int:
        table = RateLimitWindow
        matches = (
            col(table.channel) == channel,
            col(table.sender) == sender,
            col(table.window_start) == window_start,
        )
        bumped = session.exec(  # type: ignore[call-overload]
            update(table).where(*matches).values(count=col(table.count) + 1)
        )
        if bumped.rowcount == 0:
            session.add(table(channel=channel, sender=sender, window_start=window_start, count=1))
            session.flush()
            return 1
        row = session.exec(select(table).where(*matches)).one()
        return row.count

    def count(self, channel: str, sender: str, window_start: int) -> int:
        table = RateLimitWindow
        with Session(self.engine) as session:
            row = session.exec(
                select(table).where(
                    col(table.channel) == channel,
                    col(table.sender) == sender,
                    col(table.window_start) == window_start,
                )
            ).first()
            return row.count if row is not None else 0

    def clear(self, channel: str, sender: str) -> None:
        table = RateLimitWindow
        with session_scope(self.engine) as session:
            session.exec(  # type: ignore[call-overload]
                delete(table).where(col(table.channel) == channel, col(table.sender) == sender)
            )

    def mark_told(self, channel: str, sender: str, window_start: int) -> bool:
        table = RateLimitWindow
        with session_scope(self.engine) as session:
            result = session.exec(  # type: ignore[call-overload]
                update(table)
                .where(
                    col(table.channel) == channel,
                    col(table.sender) == sender,
                    col(table.window_start) == window_start,
                    col(table.told).is_(False),
                )
                .values(told=True)
            )
            return bool(result.rowcount == 1)


class RateLimiter:
    """`allow()` once per incoming message; when it says no, `first_refusal()` says whether to
    send the one polite message of this window."""

    def __init__(
        self, *, limit: int, window_s: int, store: RateStore, clock: Clock = utcnow
    ) -> None:
        if limit < 1 or window_s < 1:
            raise ValueError("a rate limit needs at least one message per window of 1 s or more")
        self.limit = limit
        self.window_s = window_s
        self.store = store
        self.clock = clock

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine | None = None) -> RateLimiter:
        return cls(
            limit=settings.channel_rate_limit_messages,
            window_s=settings.channel_rate_limit_window_s,
            store=store_from_settings(settings, engine),
        )

    def allow(self, channel: str, sender: str) -> bool:
        """Count this message; False when the sender is over the limit in the current window."""
        return self.store.hit(channel, sender, self._window()) <= self.limit

    def first_refusal(self, channel: str, sender: str) -> bool:
        """True the first time it is asked in a window: tell the sender once, then stay silent."""
        return self.store.mark_told(channel, sender, self._window())

    def _window(self) -> int:
        now = int(self.clock().timestamp())
        return now - now % self.window_s
