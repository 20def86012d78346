"""API keys for integrations (Open311 clients and the request API): one per client, hashed.

A key is bound to the one channel it files requests as (`open311` for GeoReport clients, any
citizen channel for an integration of `POST /api/v1/requests`), so a client can never pose as
another channel or as staff, and its idempotency keys live in a namespace of its own.

A key is a long random secret shown once, when it is made; the database keeps its SHA-256
digest (enough for a high-entropy secret, unlike a password) and a short visible prefix so an
operator can tell keys apart in `hotline apikey list`. A leaked key is revoked, never edited.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, Table, bindparam, update
from sqlalchemy import select as select_core
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col, select

from core.clock import Clock, utcnow
from core.db import read_only, session_scope
from models.enums import Channel
from models.types import UTCDateTime

KEY_PREFIX = "h311_"
PREFIX_LENGTH = len(KEY_PREFIX) + 8  # what `list` shows: "h311_" and 8 characters of the secret
MAX_NAME_LENGTH = 120


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, max_length=MAX_NAME_LENGTH)  # the client it was issued to
    prefix: str = Field(index=True, max_length=16)
    key_hash: str = Field(unique=True, max_length=64)
    channel: str = Field(default=Channel.open311.value, sa_type=String(16))  # a `Channel`
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class ApiKeyPublic(SQLModel):
    """What an operator sees: never the secret nor its hash."""

    id: int
    name: str
    prefix: str
    channel: Channel
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKeyPublic
    secret: str  # shown once; only its hash is stored


class ApiKeyError(ValueError):
    """A key operation refused: bad name, or nothing to revoke."""


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_api_key(
    *, engine: Engine, name: str, channel: Channel = Channel.open311, clock: Clock = utcnow
) -> IssuedKey:
    """Issue a new key for the client `name`; a client may hold several (to rotate keys)."""
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise ApiKeyError(f"a key needs a client name of 1 to {MAX_NAME_LENGTH} characters")
    if channel is Channel.staff:
        raise ApiKeyError("an integration files requests as a citizen channel, never as staff")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        name=name,
        prefix=secret[:PREFIX_LENGTH],
        key_hash=hash_secret(secret),
        channel=channel.value,
        created_at=clock(),
    )
    with session_scope(engine) as session:
        session.add(row)
        session.flush()
        public = ApiKeyPublic.model_validate(row)
    return IssuedKey(key=public, secret=secret)


def list_api_keys(*, session: Session, include_revoked: bool = True) -> list[ApiKeyPublic]:
    query = select(ApiKey).order_by(col(ApiKey.name), col(ApiKey.id))
    if not include_revoked:
        query = query.where(col(ApiKey.revoked_at).is_(None))
    return [ApiKeyPublic.model_validate(row) for row in session.exec(query).all()]


def revoke_api_keys(*, engine: Engine, name_or_prefix: str, clock: Clock = utcnow) -> int:
    """Revoke every active key of the client so named, else the one key with that prefix."""
    with session_scope(engine) as session:
        active = select(ApiKey).where(col(ApiKey.revoked_at).is_(None))
        rows = list(session.exec(active.where(ApiKey.name == name_or_prefix)).all())
        if not rows:
            rows = list(session.exec(active.where(ApiKey.prefix == name_or_prefix)).all())
        if not rows:
            raise ApiKeyError(f"no active key named or prefixed '{name_or_prefix}'")
        now = clock()
        for row in rows:
            row.revoked_at = now
            session.add(row)
    return len(rows)


# `last_used_at` is what an operator reads in `hotline apikey list` (to the minute); writing it
# on every request made each authenticated intake pay a second write transaction. A process
# notes a key's use at most once per interval; the check itself still reads the row every time,
# so a key revoked from any process is refused on its very next request.
USE_NOTE_INTERVAL_S = 60.0
_KEYS: Table = ApiKey.__table__  # type: ignore[attr-defined]
_noted_at: dict[int, float] = {}
# Built once: parameters passed apart keep SQLAlchemy's compiled-statement cache warm.
_KEY_BY_HASH = select_core(_KEYS).where(_KEYS.c.key_hash == bindparam("digest"))


def authenticate(*, engine: Engine, secret: str, clock: Clock = utcnow) -> ApiKeyPublic | None:
    """The active key this secret belongs to (and note its use), or None.

    The key's row is read on every request (a revoked key is refused at once) without the
    SQLite write lock; the use is noted at most once a minute per process, in a write of its
    own, so most requests never queue behind the intakes for that lock."""
    if not secret or len(secret) > 256:
        return None
    digest = hash_secret(secret)
    with read_only(engine) as connection:
        row = connection.execute(_KEY_BY_HASH, {"digest": digest}).first()
    if row is None or not secrets.compare_digest(row.key_hash, digest) or row.revoked_at:
        return None
    key = ApiKeyPublic.model_validate(row._mapping)
    noted = _noted_at.get(key.id)
    if noted is None or time.monotonic() - noted >= USE_NOTE_INTERVAL_S:
        now = clock()
        with engine.begin() as connection:
            connection.execute(update(_KEYS).where(_KEYS.c.id == key.id).values(last_used_at=now))
        key = key.model_copy(update={"last_used_at": now})
        _noted_at[key.id] = time.monotonic()  # only once the note is committed
    return key
