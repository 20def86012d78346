"""The console inbox: notices to a unit reach that unit's handlers (and dispatchers and
supervisors), never another unit's handler or an operator; a 未诉先办 alert among them."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.client import Client

from analytics.spikes import alert_key
from core.settings import Settings
from models.enums import StaffRole
from models.notification import Notification
from tests.utils.cases import wait_for_notification
from tests.utils.spikes import queue_spike_alert
from tests.utils.staff import console_login, csrf_of, make_staff
from workflows.case import CaseWorkflow
from workflows.types import Dispatch

CHAOYANG, DONGCHENG = "110105", "110101"


async def test_a_units_notice_is_in_its_inbox_and_in_no_other_units(
    api_url: str, engine: Engine, temporal_client: Client
) -> None:
    with httpx.Client(base_url=api_url, timeout=60) as citizen:
        page = citizen.get("/submit")
        created = citizen.post(
            "/submit",
            data={
                "csrf_token": csrf_of(page.text),
                "intake_key": uuid.uuid4().hex,
                "description": "朝阳公园南门垃圾桶满了没人清理。",
            },
        )
    number = created.headers["location"].split("/")[-1].split("?")[0]
    handle = temporal_client.get_workflow_handle(number)
    await handle.execute_update(CaseWorkflow.dispatch, Dispatch("dispatcher-1", CHAOYANG))
    await wait_for_notification(engine, number, "unit_new_case")

    def inbox(role: StaffRole, unit: str | None = None) -> httpx.Response:
        with console_login(api_url, make_staff(engine, role, unit)) as staff:
            return staff.get("/console/inbox")

    own = inbox(StaffRole.unit_handler, CHAOYANG)
    assert own.status_code == 200 and number in own.text
    other = inbox(StaffRole.unit_handler, DONGCHENG)
    assert other.status_code == 200 and number not in other.text
    for role in (StaffRole.dispatcher, StaffRole.supervisor):
        assert number in inbox(role).text
    assert inbox(StaffRole.operator).status_code == 403


async def test_a_spike_alert_is_in_its_units_inbox_without_a_case_and_is_sent(
    api_url: str, engine: Engine, settings: Settings
) -> None:
    spike = queue_spike_alert(engine, unit_code=CHAOYANG, queue=settings.temporal_task_queue)
    marker = spike.day.isoformat()

    def inbox(role: StaffRole, unit: str | None = None, language: str = "zh") -> str:
        with console_login(api_url, make_staff(engine, role, unit)) as staff:
            page = staff.get(f"/console/inbox?lang={language}")
        assert page.status_code == 200
        [row] = [r for r in page.text.split("<tr>") if marker in r]
        assert CHAOYANG in row
        assert "/console/cases/" not in row  # an area's alert: no case to open
        return row

    assert "未诉先办预警：朝阳区「暖气不热」" in inbox(StaffRole.unit_handler, CHAOYANG)
    assert "未诉先办预警" in inbox(StaffRole.supervisor)
    english = inbox(StaffRole.unit_handler, CHAOYANG, "en")  # in the reader's language
    assert "Early warning: 12 requests about" in english and "未诉先办" not in english
    # The session's `hotline worker` process sends it like any notice of its queue.
    for _ in range(600):
        with Session(engine) as session:
            notice = session.exec(
                select(Notification).where(Notification.dedupe_key == alert_key(spike))
            ).one()
        if notice.status == "sent":
            break
        await asyncio.sleep(0.1)
    assert (notice.status, notice.case_id, notice.attempts) == ("sent", None, 1)
