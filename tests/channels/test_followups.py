"""Citizen follow-ups reach the running workflow once, whatever the channel repeats."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.engine import Engine
from temporalio.client import Client

from core.settings import Settings
from intake.flows import start_case_workflow
from intake.followups import (
    CaseClosed,
    add_details,
    case_status,
    latest_case_of,
    withdraw,
)
from intake.service import accept_intake
from models.enums import CaseStatus, Channel, IdentityKind
from models.service import CaseNotFound
from tests.utils.cases import case_row, event_kinds
from tests.utils.factories import make_intake


async def _until(engine: Engine, number: str, kind: str, count: int = 1) -> list[str]:
    for _ in range(600):
        kinds = event_kinds(engine, number)
        if kinds.count(kind) >= count:
            return kinds
        await asyncio.sleep(0.05)
    raise AssertionError(f"{number}: never saw {count} {kind}")


async def test_details_count_once_and_a_withdrawn_case_takes_no_more(
    settings: Settings, temporal_client: Client, engine: Engine, worker_process: None
) -> None:
    intake = make_intake(channel=Channel.sms)
    case = accept_intake(engine=engine, intake=intake, settings=settings).case
    await start_case_workflow(client=temporal_client, settings=settings, case=case)
    phone = intake.contact.phone
    assert phone is not None
    assert latest_case_of(engine, IdentityKind.phone, phone, open_only=True).number == case.number  # type: ignore[union-attr]

    for _ in range(2):  # the same SMS delivered twice
        await add_details(
            client=temporal_client,
            engine=engine,
            number=case.number,
            text="灯杆在3号楼东侧",
            channel=Channel.sms,
            message_key="SM-details-1",
        )
    await add_details(
        client=temporal_client,
        engine=engine,
        number=case.number,
        text="晚上十点后尤其暗",
        channel=Channel.sms,
        message_key="SM-details-2",
    )
    kinds = await _until(engine, case.number, "citizen_details", 2)
    assert kinds.count("citizen_details") == 2

    await withdraw(client=temporal_client, number=case.number, reason="已自行解决")
    await _until(engine, case.number, "withdrawn")
    assert case_row(engine, case.number).status == CaseStatus.withdrawn
    assert latest_case_of(engine, IdentityKind.phone, phone, open_only=True) is None
    with pytest.raises(CaseClosed, match="withdrawn"):
        await add_details(
            client=temporal_client,
            engine=engine,
            number=case.number,
            text="还有一件事",
            channel=Channel.sms,
            message_key="SM-details-3",
        )


def test_status_of_an_unknown_case_is_a_clear_error(engine: Engine) -> None:
    with pytest.raises(CaseNotFound, match="20990101-000001"):
        case_status(engine, "20990101-000001")
