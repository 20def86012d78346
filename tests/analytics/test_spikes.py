"""未诉先办: spikes against the same weekday of the weeks before, alerted once to the unit.

Friday 20 November 2026: heating complaints in Chaoyang jump from about one a Friday to nine
(the heating utility took most of them); noise in Haidian rises, but not to twice its usual;
heating in Haidian is new but only four calls. A Wednesday with twenty heating calls in
Chaoyang must not raise the Friday baseline; Thursday has a spike of its own.
"""

from __future__ import annotations

import logging
import math
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from analytics.spikes import SpikeRules, alert_spikes, detect_spikes, recorded_alerts
from core.settings import Environment, Settings
from models.notification import Notification
from notices.port import NotifierRegistry
from notices.sender import OutboxSender
from tests.analytics.history import add_case, local

HEATING, LEAK, NOISE = "16.05.001", "16.05.002", "04.02.003"
CHAOYANG, HAIDIAN, DONGCHENG = "110105", "110108", "110101"
HEATING_UTILITY = "U-RL"
FRIDAY = date(2026, 11, 20)
RULES = SpikeRules(baseline_weeks=8, min_count=5, min_ratio=2.0, max_p_value=0.001)
TZ = "Asia/Shanghai"


def add_many(engine: Engine, n: int, day: date, category: str, district: str, **kw: str) -> None:
    for i in range(n):
        add_case(
            engine,
            at=local(f"{day.isoformat()} {8 + i % 12:02d}:00"),
            category=category,
            district=district,
            **kw,  # type: ignore[arg-type]
        )


@pytest.fixture(scope="module")
def history(history_engine: Engine) -> Engine:
    e = history_engine
    heating_fridays = [1, 2, 1, 0, 2, 1, 1, 2]  # 1, 2, … weeks before: median 1
    noise_fridays = [5, 6, 5, 7, 6, 5, 6, 5]  # median 5.5
    for weeks, (heating, noise) in enumerate(zip(heating_fridays, noise_fridays, strict=True), 1):
        friday = FRIDAY - timedelta(weeks=weeks)
        add_many(e, heating, friday, HEATING, CHAOYANG)
        add_many(e, noise, friday, NOISE, HAIDIAN)
    # the day: nine heating calls in Chaoyang (the last at 23:30 Beijing time) ...
    add_many(e, 6, FRIDAY, HEATING, CHAOYANG, unit=HEATING_UTILITY)
    add_many(e, 2, FRIDAY, HEATING, CHAOYANG)
    add_case(e, at=local("2026-11-20 23:30"), category=HEATING, district=CHAOYANG)
    add_case(e, at=local("2026-11-21 00:30"), category=HEATING, district=CHAOYANG)  # Saturday
    add_many(e, 8, FRIDAY, NOISE, HAIDIAN)  # 8 against 5.5: less than twice
    add_many(e, 4, FRIDAY, HEATING, HAIDIAN)  # new, but only four
    add_many(e, 20, date(2026, 11, 18), HEATING, CHAOYANG)  # a Wednesday: not a Friday
    add_many(e, 10, date(2026, 11, 19), LEAK, DONGCHENG)  # Thursday's own spike
    return e


def poisson_tail(count: int, mean: float) -> float:
    return 1 - sum(math.exp(-mean) * mean**k / math.factorial(k) for k in range(count))


def test_friday_spike_against_the_fridays_before(history: Engine) -> None:
    spikes = detect_spikes(engine=history, day=FRIDAY, rules=RULES, timezone=TZ)
    assert [(s.category_code, s.area_code, s.count) for s in spikes] == [(HEATING, CHAOYANG, 9)]
    spike = spikes[0]
    assert spike.history == [1, 2, 1, 0, 2, 1, 1, 2]
    assert (spike.baseline, spike.ratio) == (1.0, 9.0)
    assert spike.p_value == pytest.approx(poisson_tail(9, 1.0), rel=1e-9)
    assert spike.robust_z == round(8 / (1.4826 * 0.5), 6)  # the MAD of the history is 0.5
    assert spike.unit_code == HEATING_UTILITY  # most of the day's cases went to the utility
    assert (spike.category_name, spike.area_name) == ("暖气不热", "朝阳区")


def test_thursday_has_its_own_spike_with_no_history(history: Engine) -> None:
    spikes = detect_spikes(engine=history, day=FRIDAY - timedelta(days=1), rules=RULES, timezone=TZ)
    assert [(s.category_code, s.area_code, s.count, s.baseline) for s in spikes] == [
        (LEAK, DONGCHENG, 10, 0.0)
    ]
    assert spikes[0].unit_code == DONGCHENG  # nobody handled them yet: the district is told
    assert spikes[0].robust_z is None


def test_stricter_rules_find_nothing(history: Engine) -> None:
    strict = SpikeRules(baseline_weeks=8, min_count=10, min_ratio=2.0, max_p_value=0.001)
    assert detect_spikes(engine=history, day=FRIDAY, rules=strict, timezone=TZ) == []


async def test_a_spike_alerts_its_unit_once_through_the_outbox(
    history: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    queue = f"spikes-{uuid.uuid4().hex[:8]}"
    spikes = detect_spikes(engine=history, day=FRIDAY, rules=RULES, timezone=TZ)
    first = alert_spikes(engine=history, spikes=spikes, queue=queue)
    again = alert_spikes(engine=history, spikes=spikes, queue=queue)
    assert [s.category_code for s in first] == [HEATING]
    assert again == []
    [notice] = _outbox(history, queue)
    assert (notice.case_id, notice.channel, notice.address) == (None, None, HEATING_UTILITY)
    assert (notice.kind, notice.status) == ("spike_alert", "pending")
    assert "朝阳区「暖气不热」2026-11-20 已有诉求 9 件" in notice.body
    settings = Settings(environment=Environment.test, _env_file=None)  # type: ignore[call-arg]
    sender = OutboxSender(
        engine=history, settings=settings, notifiers=NotifierRegistry(), queue=queue
    )
    with caplog.at_level(logging.DEBUG, logger="hotline.notifier"):
        assert await sender.drain_once() == 1
        assert await sender.drain_once() == 0  # sent once
    records = [r for r in caplog.records if r.name == "hotline.notifier"]
    sent = [r.getMessage() for r in records if r.levelno == logging.INFO]
    texts = [r.getMessage() for r in records if r.levelno == logging.DEBUG]  # texts: DEBUG only
    assert len(sent) == 1 and len(texts) == 1
    assert f"notify spike:2026-11-20:{HEATING}:{CHAOYANG} spike_alert" in sent[0]
    assert "unit inbox to U-RL" in sent[0]
    assert "朝阳区「暖气不热」2026-11-20 已有诉求 9 件" in texts[0]
    [notice] = _outbox(history, queue)
    assert notice.status == "sent" and notice.sent_at is not None
    alerts = recorded_alerts(engine=history, since=FRIDAY)
    assert [(a.category_code, a.area_code, a.count, a.unit_code) for a in alerts] == [
        (HEATING, CHAOYANG, 9, HEATING_UTILITY)
    ]
    assert alerts[0].notified_at is not None


def _outbox(engine: Engine, queue: str) -> list[Notification]:
    with Session(engine) as session:
        return list(session.exec(select(Notification).where(Notification.queue == queue)).all())
