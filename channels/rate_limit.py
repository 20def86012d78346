"""Per-sender rate limiting, shared by the channels, so one number or chat cannot flood the hotline.

A sliding window: a sender may send `limit` counted messages within any `window_s` seconds on a
channel. The channels count only what creates or changes a case (a new request, details, a typed
survey answer), never commands, button presses or acknowledgements ("好的", "thanks"), so a citizen
using the bot normally never meets the limit. Counts are kept in slices of `window_s / SLICES`
seconds (a minute for the hour's default); the window is the last `SLICES` slices, so the limit
eases slice by slice rather than all at once on the clock hour. A refused message is not counted, so
the wait told (`retry_after`: until enough of the oldest counted messages leave the window) is the
real one, however often the sender tries meanwhile. A refused sender is told once per wait
(`first_refusal`, true exactly once), then the channel stays silent: the limiter never answers a
flood with a flood. Counts live in the database (`rate_limit_windows`, one row per sender and
slice), so every API replica sees the same numbers; the memory store is for a single process and for
tests. Two replicas checking at the same instant may each let one message through: the limit is a
guard against floods, not an exact quota.

The staff login and one-time-code throttles (`auth/throttle.py`) count their failures in the same
stores under channels of their own, in fixed windows. A store keeps per channel only the windows
its callers still read (`keep_from`, by default the newest window): the first count of a new
window deletes every sender's older ones, so a flood of senders cannot make the store grow
beyond what arrives within one window.
"""

from __future__ import annotations

import math
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
    def hit(
        self, channel: str, sender: str, window_start: int, keep_from: int | None = None
    ) -> int:
        """Count one message in this window; return the window's count including it.

        Windows of the channel starting before `keep_from` (default: this one) are dropped.
        """
        ...

    def counts_since(self, channel: str, sender: str, since: int) -> dict[int, int]:
        """The sender's count per window starting at `since` or later."""
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
    """Counts in this process only; windows nobody reads any more are dropped."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str, int], tuple[int, bool]] = {}  # count, told
        self._kept: dict[str, int] = {}  # per channel, the oldest window still kept

    def hit(
        self, channel: str, sender: str, window_start: int, keep_from: int | None = None
    ) -> int:
        with self._lock:
            self._drop_older(channel, window_start if keep_from is None else keep_from)
            count, told = self._windows.get((channel, sender, window_start), (0, False))
            self._windows[(channel, sender, window_start)] = (count + 1, told)
            return count + 1

    def count(self, channel: str, sender: str, window_start: int) -> int:
        with self._lock:
            return self._windows.get((channel, sender, window_start), (0, False))[0]

    def counts_since(self, channel: str, sender: str, since: int) -> dict[int, int]:
        with self._lock:
            return {
                start: count
                for (c, s, start), (count, _) in self._windows.items()
                if c == channel and s == sender and start >= since
            }

    def clear(self, channel: str, sender: str) -> None:
        with self._lock:
            for key in [k for k in self._windows if k[0] == channel and k[1] == sender]:
                del self._windows[key]

    def _drop_older(self, channel: str, keep_from: int) -> None:
        if self._kept.get(channel, keep_from - 1) >= keep_from:
            return
        for key in [k for k in self._windows if k[0] == channel and k[2] < keep_from]:
            del self._windows[key]
        self._kept[channel] = keep_from

    def mark_told(self, channel: str, sender: str, window_start: int) -> bool:
        with self._lock:
            count, told = self._windows.get((channel, sender, window_start), (0, False))
            self._windows[(channel, sender, window_start)] = (count, True)
            return not told


class DatabaseStore:
    """Counts in `rate_limit_windows`; increments are single UPDATEs, so replicas never lose one."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._purged: dict[str, int] = {}  # per channel, the window older ones were deleted for

    def hit(
        self, channel: str, sender: str, window_start: int, keep_from: int | None = None
    ) -> int:
        self._drop_older(channel, window_start if keep_from is None else keep_from)
        for _ in range(3):  # a concurrent first hit may win the insert; then we update its row
            try:
                with session_scope(self.engine) as session:
                    return self._hit_in(session, channel, sender, window_start)
            except IntegrityError:
                continue
        raise RuntimeError(f"could not count a message from {sender} on {channel}")

    def _drop_older(self, channel: str, keep_from: int) -> None:
        """Once per window and channel: windows that are over, nobody asks about them again."""
        if self._purged.get(channel, keep_from - 1) >= keep_from:
            return
        table = RateLimitWindow
        with session_scope(self.engine) as session:
            session.exec(  # type: ignore[call-overload]
                delete(table).where(
                    col(table.channel) == channel, col(table.window_start) < keep_from
                )
            )
        self._purged[channel] = keep_from

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

    def counts_since(self, channel: str, sender: str, since: int) -> dict[int, int]:
        table = RateLimitWindow
        with Session(self.engine) as session:
            rows = session.exec(
                select(table).where(
                    col(table.channel) == channel,
                    col(table.sender) == sender,
                    col(table.window_start) >= since,
                )
            ).all()
            return {row.window_start: row.count for row in rows}

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


SLICES = 60  # a window is counted in this many slices; it slides by one slice at a time
TOLD = "-told"  # the channel suffix under which "this sender was told" is remembered


class RateLimiter:
    """`allow()` once per counted message; when it says no, `retry_after()` is the real wait and
    `first_refusal()` says whether to send the one polite message of this wait."""

    def __init__(
        self, *, limit: int, window_s: int, store: RateStore, clock: Clock = utcnow
    ) -> None:
        if limit < 1 or window_s < 1:
            raise ValueError("a rate limit needs at least one message per window of 1 s or more")
        self.limit = limit
        self.window_s = window_s
        self.slice_s = max(1, math.ceil(window_s / SLICES))
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
        """Count this message if the sender is under the limit; False (not counted) if not."""
        now = self._now()
        if self.retry_after(channel, sender) > 0:
            return False
        start = now - now % self.slice_s
        self.store.hit(channel, sender, start, keep_from=self._oldest_slice(now))
        return True

    def retry_after(self, channel: str, sender: str) -> int:
        """Seconds until the sender may send a counted message again; 0: now."""
        now = self._now()
        counts = self.store.counts_since(channel, sender, self._oldest_slice(now))
        over = sum(counts.values()) - self.limit + 1  # how many must leave the window
        for start in sorted(counts):
            if over <= 0:
                break
            over -= counts[start]
            if over <= 0:  # this slice leaves the window when its end is window_s old
                return max(1, start + self.slice_s + self.window_s - now)
        return 0

    def first_refusal(self, channel: str, sender: str) -> bool:
        """True the first time it is asked during one wait: tell the sender once, then be silent.

        The wait is named by the moment it ends; a refused message is not counted, so that
        moment stays the same until the sender may send again.
        """
        now = self._now()
        ends = now + self.retry_after(channel, sender)
        return self.store.hit(channel + TOLD, sender, ends, keep_from=now) == 1

    def _oldest_slice(self, now: int) -> int:
        """The oldest slice still counted: one whose end is less than `window_s` ago."""
        oldest = now - self.window_s - self.slice_s + 1
        return -(-oldest // self.slice_s) * self.slice_s  # the first slice start from there

    def _now(self) -> int:
        return int(self.clock().timestamp())


def minutes_to_wait(seconds: int) -> int:
    """The wait as people are told it: whole minutes, rounded up, at least one."""
    return max(1, math.ceil(seconds / 60))
