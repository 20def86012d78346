"""The per-sender rate limiter: N messages in any window (sliding), the real wait, one refusal
notice per wait, both stores."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from channels.rate_limit import (
    DatabaseStore,
    MemoryStore,
    RateLimiter,
    RateStore,
    minutes_to_wait,
)
from core.settings import Settings
from tests.utils.factories import unique_phone


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=["memory", "database"])
def make_store(request: pytest.FixtureRequest, engine: Engine) -> Callable[[], RateStore]:
    if request.param == "memory":
        return MemoryStore
    return lambda: DatabaseStore(engine)


def test_a_sender_over_the_limit_is_refused_until_the_oldest_message_leaves(
    make_store: Callable[[], RateStore],
) -> None:
    clock = Clock()
    limiter = RateLimiter(limit=3, window_s=600, store=make_store(), clock=clock)
    sender = unique_phone()
    assert [limiter.allow("sms", sender) for _ in range(5)] == [True, True, True, False, False]
    assert limiter.retry_after("sms", sender) == 610  # the 10 s slice of 08:00 leaves at 08:10:10
    clock.now += timedelta(seconds=610)
    assert limiter.retry_after("sms", sender) == 0
    assert limiter.allow("sms", sender)


def test_the_window_slides_instead_of_resetting_on_the_clock(
    make_store: Callable[[], RateStore],
) -> None:
    """An hour's limit of 3: messages at 08:00, 08:30, 08:45; the next is possible at 09:01
    (when 08:00's minute has left the hour), and then only one until 08:30's leaves."""
    clock = Clock()
    limiter = RateLimiter(limit=3, window_s=3600, store=make_store(), clock=clock)
    sender = unique_phone()
    for minutes in (0, 30, 15):
        clock.now += timedelta(minutes=minutes)
        assert limiter.allow("sms", sender)
    clock.now += timedelta(minutes=12)  # 08:57: a fixed hour would have reset at 09:00 ...
    assert not limiter.allow("sms", sender)
    assert limiter.retry_after("sms", sender) == 4 * 60  # ... the real wait is until 09:01
    clock.now += timedelta(minutes=3, seconds=59)
    assert not limiter.allow("sms", sender)  # refused tries are not counted: the wait stays
    assert limiter.retry_after("sms", sender) == 1
    clock.now += timedelta(seconds=1)
    assert limiter.allow("sms", sender)  # 09:01
    assert not limiter.allow("sms", sender)
    assert limiter.retry_after("sms", sender) == 30 * 60  # until 08:30's minute leaves, 09:31


def test_a_refused_sender_is_told_once_per_wait(make_store: Callable[[], RateStore]) -> None:
    clock = Clock()
    limiter = RateLimiter(limit=1, window_s=60, store=make_store(), clock=clock)
    sender = unique_phone()
    assert limiter.allow("sms", sender)
    assert not limiter.allow("sms", sender)
    assert limiter.first_refusal("sms", sender)
    clock.now += timedelta(seconds=20)
    assert not limiter.allow("sms", sender)
    assert not limiter.first_refusal("sms", sender)
    clock.now += timedelta(seconds=41)
    assert limiter.allow("sms", sender)
    assert not limiter.allow("sms", sender)
    assert limiter.first_refusal("sms", sender)  # a new wait: told again, once


def test_minutes_to_wait_rounds_up() -> None:
    assert [minutes_to_wait(s) for s in (1, 60, 61, 719, 720)] == [1, 1, 2, 12, 12]


def test_senders_and_channels_are_counted_apart(make_store: Callable[[], RateStore]) -> None:
    limiter = RateLimiter(limit=1, window_s=60, store=make_store(), clock=Clock())
    sender, other = unique_phone(), unique_phone()
    assert limiter.allow("sms", sender)
    assert not limiter.allow("sms", sender)
    assert limiter.allow("sms", other)
    assert limiter.allow("chat", sender)


def test_two_limiters_on_one_database_share_the_count(engine: Engine) -> None:
    """Two API replicas: the count is the database's, not each process's."""
    clock = Clock()
    first = RateLimiter(limit=2, window_s=60, store=DatabaseStore(engine), clock=clock)
    second = RateLimiter(limit=2, window_s=60, store=DatabaseStore(engine), clock=clock)
    sender = unique_phone()
    assert first.allow("sms", sender)
    assert second.allow("sms", sender)
    assert not first.allow("sms", sender)
    assert second.first_refusal("sms", sender)
    assert not first.first_refusal("sms", sender)


def test_settings_choose_the_store_and_reject_nonsense(settings: Settings, engine: Engine) -> None:
    memory = RateLimiter.from_settings(
        settings.model_copy(update={"channel_rate_limit_backend": "memory"})
    )
    assert isinstance(memory.store, MemoryStore)
    database = RateLimiter.from_settings(settings, engine)
    assert isinstance(database.store, DatabaseStore)
    assert (database.limit, database.window_s) == (
        settings.channel_rate_limit_messages,
        settings.channel_rate_limit_window_s,
    )
    with pytest.raises(ValueError, match="needs an engine"):
        RateLimiter.from_settings(settings)
    with pytest.raises(ValueError, match="at least one message"):
        RateLimiter(limit=0, window_s=60, store=MemoryStore())
