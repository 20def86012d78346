"""proved contacts: case contacts, identities only where a channel proved them, keyed integrations

Until now intake linked every contact of a request to whichever citizen owned any one of them,
so an anonymous request could attach an attacker's chat or phone to a victim. This migration
rebuilds identities from what the channels proved:
- a case that came by SMS, voice or Telegram keeps the contact it arrived on (the sender of its
  first message, the caller, the chat) as a proved contact; so do numbers that texted us;
- one citizen per proved contact: a citizen holding several proved contacts (only ever joined
  by unproved requests) is split, and each channel case follows the contact it arrived on;
- every other contact is kept as "given, unproved" on the cases that carried it (the citizen's
  web, Open311 and phoned-in cases), which no longer belong to any citizen;
- API keys are bound to a channel (existing ones are Open311's).
No case and no contact is dropped. The split is not undone by a downgrade.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 17:00:00.000000
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.types

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ARRIVAL_KIND = {"sms": "phone", "voice": "phone", "chat": "telegram"}


def upgrade() -> None:
    op.add_column(
        "citizen_identities",
        sa.Column("proved_by", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    )
    op.add_column(
        "cases",
        sa.Column("contact_name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    )
    op.add_column(
        "api_keys",
        sa.Column("channel", sa.String(length=16), nullable=False, server_default="open311"),
    )
    op.create_table(
        "case_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("proved", sa.Boolean(), nullable=False),
        sa.Column("arrived_on", sa.Boolean(), nullable=False),
        sa.Column("created_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "kind", "value", name="uq_case_contact"),
    )
    op.create_index("ix_case_contacts_case_id", "case_contacts", ["case_id"])
    op.create_index("ix_case_contacts_value", "case_contacts", ["value"])
    _move_to_proved_contacts(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_case_contacts_value", table_name="case_contacts")
    op.drop_index("ix_case_contacts_case_id", table_name="case_contacts")
    op.drop_table("case_contacts")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("channel")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("contact_name")
    with op.batch_alter_table("citizen_identities") as batch:
        batch.drop_column("proved_by")


# ---- data -----------------------------------------------------------------------------------

_cases = sa.table(
    "cases",
    sa.column("id", sa.Integer),
    sa.column("channel", sa.String),
    sa.column("citizen_id", sa.Integer),
    sa.column("intake_key", sa.String),
)
_identities = sa.table(
    "citizen_identities",
    sa.column("id", sa.Integer),
    sa.column("citizen_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("value", sa.String),
    sa.column("opted_out", sa.Boolean),
    sa.column("proved_by", sa.String),
)
_citizens = sa.table(
    "citizens",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("language", sa.String),
    sa.column("created_at", models.types.UTCDateTime(timezone=True)),
)
_contacts = sa.table(
    "case_contacts",
    sa.column("case_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("value", sa.String),
    sa.column("proved", sa.Boolean),
    sa.column("arrived_on", sa.Boolean),
    sa.column("created_at", models.types.UTCDateTime(timezone=True)),
)
_sms = sa.table(
    "sms_messages",
    sa.column("sid", sa.String),
    sa.column("phone", sa.String),
    sa.column("direction", sa.String),
)
_calls = sa.table(
    "voice_calls", sa.column("call_sid", sa.String), sa.column("from_number", sa.String)
)

Pair = tuple[str, str]


def _move_to_proved_contacts(bind: sa.Connection) -> None:
    inbound = sa.select(_sms.c.sid, _sms.c.phone).where(_sms.c.direction == "inbound")
    sms_from: dict[str, str] = dict(bind.execute(inbound).all())  # type: ignore[arg-type]
    calls = sa.select(_calls.c.call_sid, _calls.c.from_number)
    call_from: dict[str, str | None] = dict(bind.execute(calls).all())  # type: ignore[arg-type]
    identities = list(bind.execute(sa.select(_identities)).mappings())
    owned: dict[int, set[Pair]] = defaultdict(set)
    for row in identities:
        owned[row["citizen_id"]].add((row["kind"], row["value"]))

    # Which contact each channel case arrived on, and which contacts a channel proved.
    cases = list(bind.execute(sa.select(_cases).where(_cases.c.citizen_id.is_not(None))).mappings())
    arrival: dict[int, Pair] = {}
    proved_by: dict[Pair, str] = {("phone", phone): "sms" for phone in sms_from.values()}
    for case in cases:
        pair = _arrived_on(case, sms_from, call_from)
        if pair is not None and pair in owned[case["citizen_id"]]:
            arrival[case["id"]] = pair
            proved_by.setdefault(pair, case["channel"])
    for row in identities:
        if row["opted_out"]:
            proved_by.setdefault((row["kind"], row["value"]), "sms")

    owner = _split_citizens(bind, identities, proved_by)
    now = datetime.now(UTC)
    contacts: list[dict[str, object]] = []
    by_citizen: dict[int, list[int]] = defaultdict(list)
    for case in cases:
        pair = arrival.get(case["id"])
        if pair is not None:
            bind.execute(
                _cases.update().where(_cases.c.id == case["id"]).values(citizen_id=owner[pair])
            )
            contacts.append(_contact(case["id"], pair, proved=True, now=now))
        else:
            bind.execute(_cases.update().where(_cases.c.id == case["id"]).values(citizen_id=None))
        by_citizen[case["citizen_id"]].append(case["id"])

    # Every unproved contact stays on the cases of its citizen that arrived on no proved one
    # (web, Open311, phoned in): that is where it was given. Failing those, on all of them.
    for citizen_id, case_ids in by_citizen.items():
        given = sorted(pair for pair in owned[citizen_id] if pair not in proved_by)
        targets = [case_id for case_id in case_ids if case_id not in arrival] or case_ids
        for case_id in targets:
            for pair in given:
                if arrival.get(case_id) != pair:
                    contacts.append(_contact(case_id, pair, proved=False, now=now))
            if case_id not in arrival:
                for pair in sorted(owned[citizen_id] & proved_by.keys()):
                    contacts.append(_contact(case_id, pair, proved=False, now=now))
    if contacts:
        bind.execute(_contacts.insert(), contacts)
    unproved = [row["id"] for row in identities if (row["kind"], row["value"]) not in proved_by]
    if unproved:
        bind.execute(_identities.delete().where(_identities.c.id.in_(unproved)))


def _arrived_on(
    case: sa.RowMapping, sms_from: dict[str, str], call_from: dict[str, str | None]
) -> Pair | None:
    key = case["intake_key"] or ""
    channel = case["channel"]
    if channel == "sms" and key in sms_from:
        return "phone", sms_from[key]
    if channel == "voice" and call_from.get(key):
        return "phone", str(call_from[key])
    if channel == "chat" and key.startswith("tg:"):
        return "telegram", key.split(":")[1]
    return None


def _split_citizens(
    bind: sa.Connection, identities: list[sa.RowMapping], proved_by: dict[Pair, str]
) -> dict[Pair, int]:
    """One citizen per proved contact; the citizen row stays with its oldest one."""
    owner: dict[Pair, int] = {}
    kept: set[int] = set()
    for row in sorted(identities, key=lambda r: r["id"]):
        pair = (row["kind"], row["value"])
        if pair not in proved_by:
            continue
        citizen_id = row["citizen_id"]
        if citizen_id in kept:
            old = (
                bind.execute(sa.select(_citizens).where(_citizens.c.id == citizen_id))
                .mappings()
                .one()
            )
            citizen_id = bind.execute(
                _citizens.insert()
                .values(name=old["name"], language=old["language"], created_at=old["created_at"])
                .returning(_citizens.c.id)
            ).scalar_one()
        kept.add(citizen_id)
        owner[pair] = citizen_id
        bind.execute(
            _identities.update()
            .where(_identities.c.id == row["id"])
            .values(citizen_id=citizen_id, proved_by=proved_by[pair])
        )
    return owner


def _contact(case_id: int, pair: Pair, *, proved: bool, now: datetime) -> dict[str, object]:
    return {
        "case_id": case_id,
        "kind": pair[0],
        "value": pair[1],
        "proved": proved,
        "arrived_on": proved,
        "created_at": now,
    }
