"""A 未诉先办 alert queued as the spike watch queues one, on a day no other test uses."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy.engine import Engine

from analytics.spikes import Spike, alert_spikes

HEATING, CHAOYANG = "16.05.001", "110105"


def queue_spike_alert(engine: Engine, *, unit_code: str, queue: str) -> Spike:
    """Heating calls spiking in Chaoyang on a day of their own (the alert's marker on a page),
    told to `unit_code`."""
    day = date(2040, 1, 1) + timedelta(days=uuid.uuid4().int % 20000)
    spike = Spike(
        day=day,
        category_code=HEATING,
        category_name="暖气不热",
        area_code=CHAOYANG,
        area_name="朝阳区",
        count=12,
        history=[1] * 8,
        baseline=1.0,
        ratio=12.0,
        p_value=1e-9,
        robust_z=None,
        unit_code=unit_code,
    )
    assert alert_spikes(engine=engine, spikes=[spike], queue=queue) == [spike]
    return spike
