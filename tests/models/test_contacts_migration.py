"""Migration 0011 moves yesterday's merged identities to proved contacts, losing nothing.

The old intake linked every contact of a request to whichever citizen already owned one, so a
database of today can hold a victim whose citizen also carries an attacker's chat (defect 1 of
issue 13). The migration must split them apart by what the channels proved, keep every case and
every contact, and leave the web cases' contacts on those cases as given, unproved.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.db import make_engine
from models import migrate
from tests.utils.databases import fresh_database

NOW = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
VICTIM_PHONE = "+8613800000001"
ATTACKER_CHAT = "555000111"
VICTIM_EMAIL = "victim@example.com"
ALONE_PHONE = "+8613900000002"


def _insert(engine: Engine, table: str, **values: Any) -> int:
    meta = sa.MetaData()
    target = sa.Table(table, meta, autoload_with=engine)
    with engine.begin() as connection:
        result = connection.execute(target.insert().values(**values).returning(target.c.id))
        return int(result.scalar_one())


def _case(engine: Engine, number: str, channel: str, citizen: int, key: str | None) -> int:
    return _insert(
        engine,
        "cases",
        number=number,
        channel=channel,
        language="zh",
        type="complaint",
        description="楼道灯坏了",
        urgency="normal",
        status="accepted",
        supervised=False,
        reopen_count=0,
        citizen_id=citizen,
        intake_key=key,
        extra={},
        created_at=NOW,
        updated_at=NOW,
    )


def _old_database(engine: Engine) -> dict[str, int]:
    """The state the attack of defect 1 left: one citizen holding a victim and an attacker."""
    victim = _insert(engine, "citizens", name="王", language="zh", created_at=NOW)
    alone = _insert(engine, "citizens", name=None, language="zh", created_at=NOW)
    for citizen, kind, value in (
        (victim, "phone", VICTIM_PHONE),
        (victim, "telegram", ATTACKER_CHAT),
        (victim, "email", VICTIM_EMAIL),
        (alone, "phone", ALONE_PHONE),
    ):
        _insert(
            engine,
            "citizen_identities",
            citizen_id=citizen,
            kind=kind,
            value=value,
            opted_out=False,
            created_at=NOW,
        )
    _insert(
        engine,
        "sms_messages",
        sid="SMvictim1",
        direction="inbound",
        phone=VICTIM_PHONE,
        kind="new_case",
        body="",
        segments=1,
        encoding="UCS-2",
        status="",
        created_at=NOW,
        updated_at=NOW,
    )
    return {
        "victim_sms": _case(engine, "20261101-000001", "sms", victim, "SMvictim1"),
        "attack_web": _case(engine, "20261101-000002", "web", victim, "k"),
        "attacker_chat": _case(engine, "20261101-000003", "chat", victim, f"tg:{ATTACKER_CHAT}:7"),
        "alone_voice": _case(engine, "20261101-000004", "voice", alone, "CAunknown"),
    }


def _rows(engine: Engine, query: str) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(sa.text(query)).all())


def test_merged_identities_split_by_proof_and_nothing_is_lost(tmp_path: Path) -> None:
    with fresh_database(tmp_path) as url:
        migrate.upgrade(url, "0009")
        engine = make_engine(url)
        try:
            cases = _old_database(engine)
            migrate.upgrade(url)
            citizen = dict(_rows(engine, "SELECT id, citizen_id FROM cases"))
            identities = {
                (kind, value): (owner, proved_by)
                for kind, value, owner, proved_by in _rows(
                    engine, "SELECT kind, value, citizen_id, proved_by FROM citizen_identities"
                )
            }
            contacts = {
                (case_id, kind, value, proved)
                for case_id, kind, value, proved in _rows(
                    engine, "SELECT case_id, kind, value, proved FROM case_contacts"
                )
            }
        finally:
            engine.dispose()
    assert set(citizen) == set(cases.values())  # no case lost
    # The victim's SMS case and the attacker's chat case no longer share a citizen.
    assert identities[("phone", VICTIM_PHONE)] == (citizen[cases["victim_sms"]], "sms")
    assert identities[("telegram", ATTACKER_CHAT)] == (citizen[cases["attacker_chat"]], "chat")
    assert citizen[cases["victim_sms"]] != citizen[cases["attacker_chat"]]
    # The web request proved nothing: its case has no citizen, its contacts stay on it, given.
    assert citizen[cases["attack_web"]] is None
    assert ("email", VICTIM_EMAIL) not in identities
    assert {
        (cases["attack_web"], "email", VICTIM_EMAIL, False),
        (cases["attack_web"], "phone", VICTIM_PHONE, False),
        (cases["attack_web"], "telegram", ATTACKER_CHAT, False),
    } <= {(c, k, v, bool(p)) for c, k, v, p in contacts}
    assert (cases["victim_sms"], "phone", VICTIM_PHONE, True) in {
        (c, k, v, bool(p)) for c, k, v, p in contacts
    }
    # A call whose caller id was never recorded proves nothing; its number stays on the case.
    assert ("phone", ALONE_PHONE) not in identities
    assert (cases["alone_voice"], "phone", ALONE_PHONE, False) in {
        (c, k, v, bool(p)) for c, k, v, p in contacts
    }
    # Every contact of before is somewhere after.
    kept = set(identities) | {(k, v) for _, k, v, _ in contacts}
    assert {
        ("phone", VICTIM_PHONE),
        ("telegram", ATTACKER_CHAT),
        ("email", VICTIM_EMAIL),
        ("phone", ALONE_PHONE),
    } <= kept
