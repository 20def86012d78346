"""The outbox sender: the one component that hands notices to the channels.

The case workflow's activities only write `notifications` rows, in the same transaction as the
transition they belong to; this sender drains them. It is durable because the rows are: a
sender killed at any point leaves each row either sent (marked) or pending, and a pending row
is sent again by whichever sender runs next. The gap between the provider's answer and the
mark is closed by the provider's own idempotency where it has one: every message carries
`hotline-notice-<row id>` as its key (Twilio's idempotency header, the e-mail's Message-ID).

Rows of one case go out in order, one after the other (the survey must not overtake the
reply); different cases, and rows of no case (a unit's 未诉先办 alert), go out concurrently.
A failure is retried with exponential backoff and recorded on the row (`attempts`,
`last_error`, `next_attempt_at`), where the console shows it; after `outbox_max_attempts`
the row is `failed` and staff must act.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.clock import utcnow
from core.redaction import redact
from core.settings import Settings
from models.case import Case
from models.enums import Channel, Language
from models.notification import PROVIDER_ID_LENGTH, Notification
from notices.port import NotifierRegistry, OutboundMessage

log = logging.getLogger("hotline.outbox")

BATCH = 200  # pending rows looked at per pass
COALESCE_S = 0.05  # after a busy pass, let more rows arrive: one pass sends them together
ERROR_CHARS = 500


def idempotency_key(notification_id: int) -> str:
    """The key a provider dedupes on: the same row is the same message, however often sent."""
    return f"hotline-notice-{notification_id}"


@dataclass(frozen=True)
class _Claimed:
    id: int
    message: OutboundMessage
    attempts: int


class OutboxSender:
    def __init__(
        self, *, engine: Engine, settings: Settings, notifiers: NotifierRegistry, queue: str
    ) -> None:
        """`queue`: the task queue whose rows this sender sends (its workers' own)."""
        self.engine = engine
        self.settings = settings
        self.notifiers = notifiers
        self.queue = queue
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.Event | None = None

    def wake(self) -> None:
        """New rows are committed: look now, not at the next poll. Safe from any thread (the
        activities that write rows run on the worker's thread pool)."""
        loop, event = self._loop, self._wakeup
        if loop is None or event is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(event.set)
        except RuntimeError:  # the loop closed meanwhile: the next sender's poll finds the rows
            pass

    async def run(self) -> None:
        """Drain until cancelled. A database outage is logged and waited out, never fatal."""
        self._loop = asyncio.get_running_loop()
        self._wakeup = asyncio.Event()
        log.info("outbox sender running")
        while True:
            self._wakeup.clear()
            try:
                handled = await self.drain_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox sender pass failed; trying again")
                handled = 0
            if handled:
                await asyncio.sleep(COALESCE_S)
                continue
            try:
                await asyncio.wait_for(self._wakeup.wait(), timeout=self.settings.outbox_poll_s)
                await asyncio.sleep(COALESCE_S)  # the rows of a burst of steps, together
            except TimeoutError:
                pass

    async def drain_once(self) -> int:
        """Claim what is due and send it; the number of rows handled (sent or failed)."""
        chains = await asyncio.to_thread(self._claim)
        if not chains:
            return 0
        limit = asyncio.Semaphore(self.settings.outbox_concurrency)
        sent: list[tuple[int, str]] = []

        async def send_chain(chain: list[_Claimed]) -> None:
            async with limit:
                for claimed in chain:
                    provider_id = await self._send(claimed)
                    if provider_id is None:
                        return  # the rest of this case waits behind the failed row
                    sent.append((claimed.id, provider_id))

        try:
            await asyncio.gather(*(send_chain(chain) for chain in chains))
        finally:
            # One write for the whole pass: on SQLite every transaction queues for the one
            # write lock the workflow's steps need too.
            if sent:
                await asyncio.to_thread(self._mark_sent, sent)
        return sum(len(chain) for chain in chains)

    # ---- claiming ----------------------------------------------------------------------

    def _claim(self) -> list[list[_Claimed]]:
        """Lease the rows due now, as one chain per case in id order.

        A row is claimed by a compare-and-set on its lease, so two senders (two workers) never
        hold one row; a row leased by a sender that died is free again when the lease ends.
        A case whose oldest pending row is not due (leased elsewhere, or backing off) sends
        nothing newer meanwhile.
        """
        now = utcnow()
        lease = now + timedelta(seconds=self.settings.outbox_lease_s)
        chains: dict[tuple[str, int], list[_Claimed]] = {}
        blocked: set[tuple[str, int]] = set()
        with Session(self.engine) as session:
            rows = session.exec(
                select(Notification, Case.number)
                .outerjoin(Case, col(Case.id) == col(Notification.case_id))
                .where(Notification.queue == self.queue, Notification.status == "pending")
                .order_by(col(Notification.id))
                .limit(BATCH)
            ).all()
            for row, number in rows:
                assert row.id is not None
                chain = _chain(row)
                if chain in blocked:
                    continue
                if not _due(row, now) or not self._lease(session, row, now, lease):
                    blocked.add(chain)
                    continue
                chains.setdefault(chain, []).append(
                    _Claimed(row.id, _message(row, number), row.attempts + 1)
                )
            session.commit()
        return list(chains.values())

    @staticmethod
    def _lease(session: Session, row: Notification, now: datetime, lease: datetime) -> bool:
        claimed = session.exec(  # type: ignore[call-overload]
            update(Notification)
            .where(
                col(Notification.id) == row.id,
                col(Notification.status) == "pending",
                or_(col(Notification.lease_until).is_(None), col(Notification.lease_until) < now),
            )
            .values(lease_until=lease, attempts=col(Notification.attempts) + 1)
        )
        return bool(claimed.rowcount)

    # ---- sending -----------------------------------------------------------------------

    async def _send(self, claimed: _Claimed) -> str | None:
        """The provider's id, or None when the send failed (recorded on the row)."""
        message = claimed.message
        try:
            return await self.notifiers.for_channel(message.channel).send(message)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await asyncio.to_thread(self._failed, claimed, exc)
            return None

    def _mark_sent(self, sent: list[tuple[int, str]]) -> None:
        now = utcnow()
        with self.engine.begin() as connection:
            connection.execute(
                update(Notification)
                .where(col(Notification.id) == bindparam("row_id"))
                .values(
                    status="sent",
                    provider_id=bindparam("provider"),
                    sent_at=now,
                    lease_until=None,
                    last_error=None,
                ),
                [
                    {"row_id": row_id, "provider": provider[:PROVIDER_ID_LENGTH]}
                    for row_id, provider in sent
                ],
            )

    def _failed(self, claimed: _Claimed, exc: Exception) -> None:
        s = self.settings
        error = redact(f"{type(exc).__name__}: {exc}")[:ERROR_CHARS]
        given_up = claimed.attempts >= s.outbox_max_attempts
        delay = min(2.0 ** (claimed.attempts - 1), s.outbox_backoff_max_s)
        with Session(self.engine) as session:
            row = session.get(Notification, claimed.id)
            if row is None or row.status != "pending":
                return
            row.last_error = error
            row.lease_until = None
            row.next_attempt_at = None if given_up else utcnow() + timedelta(seconds=delay)
            row.status = "failed" if given_up else "pending"
            session.add(row)
            session.commit()
        what = "gave up on" if given_up else f"will retry in {delay:.0f} s"
        log.warning(
            "notice %s (%s, attempt %s) failed, %s: %s",
            claimed.id,
            claimed.message.kind,
            claimed.attempts,
            what,
            error,
        )


def _due(row: Notification, now: datetime) -> bool:
    free = row.lease_until is None or row.lease_until < now
    return free and (row.next_attempt_at is None or row.next_attempt_at <= now)


def _chain(row: Notification) -> tuple[str, int]:
    """Rows of one case go out in order; a row of no case (a spike alert) is a chain alone."""
    assert row.id is not None
    return ("case", row.case_id) if row.case_id is not None else ("notice", row.id)


def _message(row: Notification, number: str | None) -> OutboundMessage:
    """`number`: the case's; a notice of no case is named by its dedupe key in its place."""
    assert row.id is not None
    return OutboundMessage(
        case_number=number or row.dedupe_key,
        channel=Channel(row.channel) if row.channel else None,
        address=row.address,
        language=Language(row.language or Language.zh.value),
        kind=row.kind,
        text=row.body,
        idempotency_key=idempotency_key(row.id),
    )
