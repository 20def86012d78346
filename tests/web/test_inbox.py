"""The console inbox: notices to a unit reach that unit's handlers (and dispatchers and
supervisors), never another unit's handler or an operator."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy.engine import Engine
from temporalio.client import Client

from models.enums import StaffRole
from tests.utils.cases import wait_for_notification
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
