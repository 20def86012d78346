"""A 未诉先办 alert is for the unit it is addressed to: another unit's handler, an operator
and an anonymous caller never read it in the console inbox."""

from __future__ import annotations

import httpx
from sqlalchemy.engine import Engine

from core.settings import Settings
from models.enums import StaffRole
from tests.utils.spikes import queue_spike_alert
from tests.utils.staff import console_login, make_staff

CHAOYANG, DONGCHENG = "110105", "110101"


def test_a_spike_alert_is_not_shown_to_another_units_handler_an_operator_or_a_stranger(
    api_url: str, engine: Engine, settings: Settings
) -> None:
    spike = queue_spike_alert(engine, unit_code=CHAOYANG, queue=settings.temporal_task_queue)
    marker = spike.day.isoformat()
    with console_login(api_url, make_staff(engine, StaffRole.unit_handler, DONGCHENG)) as other:
        page = other.get("/console/inbox")
    assert page.status_code == 200 and marker not in page.text
    with console_login(api_url, make_staff(engine, StaffRole.operator)) as operator:
        refused = operator.get("/console/inbox")
    assert refused.status_code == 403 and marker not in refused.text
    with httpx.Client(base_url=api_url, timeout=30) as stranger:
        anonymous = stranger.get("/console/inbox")
    assert anonymous.status_code in (303, 401), anonymous.text
    assert marker not in anonymous.text
    if anonymous.status_code == 303:
        assert anonymous.headers["location"].startswith("/console/login")
