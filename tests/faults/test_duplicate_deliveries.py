"""Every webhook delivered twice, out of order and concurrently, makes one case per message,
and late duplicates after the case moved on change nothing (a fault test fast enough for
every run)."""

from __future__ import annotations

import asyncio
import random
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine
from temporalio.client import Client

from models.api_key import IssuedKey
from tests.faults.deliveries import DELIVERIES, Delivery, WebIntake
from tests.faults.invariants import check_after_fault
from tests.faults.stack import dispatch, gather_limited

CHAOYANG = "110105"
MESSAGES = 30


@pytest.mark.parametrize("delivery", DELIVERIES, ids=lambda d: d.name)
async def test_every_delivery_twice_and_out_of_order_makes_one_case_each(
    delivery: Delivery,
    api_url: str,
    engine: Engine,
    temporal_client: Client,
    var_dir: Path,
    integration_key: IssuedKey,
) -> None:
    if isinstance(delivery, WebIntake):
        delivery = replace(delivery, key_id=integration_key.key.id, secret=integration_key.secret)
    payloads = [delivery.payload(index) for index in range(MESSAGES)]
    twice = payloads * 2
    random.Random(8).shuffle(twice)
    async with httpx.AsyncClient(base_url=api_url, timeout=60) as http:
        answers = await gather_limited((delivery.deliver(http, p) for p in twice), 12)
        by_key: dict[str, list[httpx.Response]] = {}
        for payload, answer in zip(twice, answers, strict=True):
            by_key.setdefault(delivery.key(payload), []).append(answer)
        for key, pair in by_key.items():
            assert sorted(a.status_code for a in pair) == [200, 201], key
            assert len({a.json()["number"] for a in pair}) == 1, key
        numbers = sorted({a.json()["number"] for a in answers})
        await asyncio.gather(*(dispatch(temporal_client, number, CHAOYANG) for number in numbers))
        # A provider's late retry, after the case was dispatched: same case, nothing restarts.
        late = await gather_limited((delivery.deliver(http, p) for p in reversed(payloads)), 12)
    assert {a.status_code for a in late} == {200}
    assert all(a.json()["status"] == "dispatched" for a in late)
    report = await check_after_fault(
        engine=engine,
        client=temporal_client,
        keys=[delivery.key(p) for p in payloads],
        logs=[var_dir / "worker.log"],
        may_resend=0,
        channel=delivery.channel,
    )
    assert report.cases == MESSAGES
