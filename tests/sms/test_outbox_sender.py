"""The outbox sender sends each notice once, even when it is killed (kill -9) after Twilio took
the message and before it wrote that down: restarted, it sends the row again under the same
idempotency key, and Twilio (here the local stand-in, which counts requests by key) answers
with the message it already has instead of sending a second one.

The sender runs as its own process (`hotline sender`), on a task queue of this test's own so
no other test's sender takes the row. The window between the answer and the bookkeeping is
held open by a lock on the row that the stand-in takes when the message arrives."""

from __future__ import annotations

import asyncio
import signal
import threading
import uuid
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, select

from analytics.spikes import alert_key
from core.settings import Settings
from intake.service import accept_intake
from models.enums import Channel
from models.notification import Notification
from notices.port import NotifierRegistry, OutboundMessage
from notices.sender import OutboxSender, idempotency_key
from tests.utils.factories import make_intake
from tests.utils.processes import start_hotline, stop
from tests.utils.spikes import queue_spike_alert
from tests.utils.twilio_api import FakeTwilio

PHONE = "+8613800138123"


def _queue_notice(engine: Engine, settings: Settings, queue: str) -> int:
    case = accept_intake(engine=engine, intake=make_intake(), settings=settings).case
    assert case.id is not None
    with Session(engine) as session:
        row = Notification(
            case_id=case.id,
            dedupe_key=f"{case.number}:n-outbox-test",
            audience="citizen",
            channel=Channel.sms,
            address=PHONE,
            language="zh",
            queue=queue,
            kind="dispatched",
            body=f"您的诉求 {case.number} 已派至承办单位处理。",
        )
        session.add(row)
        session.commit()
        assert row.id is not None
        return row.id


class RowLock:
    """Holds a write lock on one notice row (PostgreSQL) or the database (SQLite) from the
    moment Twilio receives the message, so the sender's 'sent' mark waits behind it."""

    def __init__(self, engine: Engine, row_id: int) -> None:
        self.engine = engine
        self.row_id = row_id
        self.taken = threading.Event()
        self.connection: Connection | None = None

    def take(self, _message: dict[str, str]) -> None:
        if self.taken.is_set():
            return
        connection = self.engine.connect()
        connection.begin()  # SQLite: BEGIN IMMEDIATE (core.db), the database's write lock
        if self.engine.dialect.name != "sqlite":
            connection.execute(
                text("SELECT id FROM notifications WHERE id = :id FOR UPDATE"), {"id": self.row_id}
            )
        self.connection = connection
        self.taken.set()

    def release(self) -> None:
        if self.connection is not None:
            self.connection.rollback()
            self.connection.close()


def _row(engine: Engine, row_id: int) -> Notification:
    with Session(engine) as session:
        row = session.get(Notification, row_id)
        assert row is not None
        return row


async def _wait(condition: object, what: str, timeout_s: float = 60) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():  # type: ignore[operator]
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def test_a_sender_killed_between_twilios_answer_and_its_bookkeeping_sends_once(
    sms_settings: Settings, twilio: FakeTwilio, engine: Engine, var_dir: Path
) -> None:
    queue = f"outbox-{uuid.uuid4().hex[:8]}"
    local = sms_settings.model_copy(update={"temporal_task_queue": queue, "outbox_lease_s": 2})
    env = {
        "HOTLINE_TWILIO_ACCOUNT_SID": local.twilio_account_sid or "",
        "HOTLINE_TWILIO_AUTH_TOKEN": local.twilio_auth_token or "",
        "HOTLINE_TWILIO_PHONE_NUMBER": local.twilio_phone_number or "",
        "HOTLINE_TWILIO_API_BASE_URL": local.twilio_api_base_url,
    }
    row_id = _queue_notice(engine, local, queue)
    key = idempotency_key(row_id)
    lock = RowLock(engine, row_id)
    twilio.on_message = lock.take
    logs = [var_dir / f"sender-{uuid.uuid4().hex[:6]}-{i}.log" for i in (1, 2)]
    sender = start_hotline(local, "sender", log=logs[0], env=env)
    try:
        await _wait(lock.taken.is_set, "Twilio to receive the message")
        await asyncio.sleep(1.0)  # the sender has Twilio's answer and waits to mark the row
        sender.send_signal(signal.SIGKILL)
        sender.wait()
    finally:
        lock.release()
        twilio.on_message = None
    assert _row(engine, row_id).status == "pending"  # the bookkeeping never happened
    assert len(twilio.messages_to(PHONE)) == 1

    sender = start_hotline(local, "sender", log=logs[1], env=env)
    try:
        await _wait(lambda: _row(engine, row_id).status == "sent", "the restarted sender")
    finally:
        stop(sender)

    [message] = twilio.messages_to(PHONE)  # the citizen got it once
    assert message["IdempotencyKey"] == key
    assert twilio.requests_by_key[key] == 2  # asked twice, sent once
    row = _row(engine, row_id)
    assert row.provider_id == message["Sid"]
    assert row.attempts == 2


class RefusingSms:
    """An SMS provider that is down: every send raises, as Twilio's client does on a 503."""

    async def send(self, message: OutboundMessage) -> str:
        raise RuntimeError("503 Service Unavailable")


async def test_a_notice_of_no_case_goes_out_beside_a_case_whose_notice_fails(
    engine: Engine, settings: Settings
) -> None:
    queue = f"outbox-{uuid.uuid4().hex[:8]}"
    case_notice = _queue_notice(engine, settings, queue)
    spike = queue_spike_alert(engine, unit_code="110105", queue=queue)
    sender = OutboxSender(
        engine=engine,
        settings=settings,
        notifiers=NotifierRegistry(by_channel={Channel.sms: RefusingSms()}),
        queue=queue,
    )
    assert await sender.drain_once() == 2
    failing = _row(engine, case_notice)
    assert (failing.status, failing.attempts) == ("pending", 1)
    assert failing.last_error == "RuntimeError: 503 Service Unavailable"
    with Session(engine) as session:
        alert = session.exec(
            select(Notification).where(Notification.dedupe_key == alert_key(spike))
        ).one()
    assert (alert.case_id, alert.status, alert.attempts) == (None, "sent", 1)
    assert alert.provider_id == f"log:{alert_key(spike)}:spike_alert"  # the unit-inbox notifier
