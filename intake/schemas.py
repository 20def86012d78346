"""The `Intake` value: what any channel knows about a new request, before it becomes a case."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from models.enums import Channel, CoordinateSystem, Language, RequestType, Urgency


def _no_nul(value: object) -> object:
    """PostgreSQL cannot store NUL in text (SQLite can): refuse it here, on every database."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain NUL (\\x00) characters")
    return value


class Contact(BaseModel):
    """Ways to reach the citizen; all optional, since anonymous requests are allowed."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=120)
    phone: str | None = Field(default=None, max_length=40)
    telegram_chat_id: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)

    _no_nul_characters = field_validator("*")(_no_nul)


class RequestFields(BaseModel):
    """What a request says, whichever door it came through: the problem, the place, a contact."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    description: str = Field(max_length=100_000)
    language: Language = Language.zh
    type: RequestType = RequestType.complaint
    address: str | None = Field(default=None, max_length=500)
    district_code: str | None = Field(default=None, max_length=32)
    street_code: str | None = Field(default=None, max_length=32)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    coordinate_system: CoordinateSystem = Field(
        default=CoordinateSystem.wgs84,
        description="The datum of latitude/longitude: wgs84 (GPS), gcj02 (AMap, Tencent maps) "
        "or bd09 (Baidu maps); stored converted to WGS-84.",
    )
    category_code: str | None = Field(default=None, max_length=32)
    contact: Contact = Field(default_factory=Contact)

    _no_nul_characters = field_validator("*")(_no_nul)


class Intake(RequestFields):
    """Channel-neutral request; `intake_key` is the channel's own id (MessageSid, update id...).

    The same `(channel, intake_key)` always yields the same case, so a webhook delivered twice
    never makes two cases.
    """

    channel: Channel
    urgency: Urgency = Urgency.normal
    transcript: str | None = Field(default=None, max_length=100_000)
    # The description is a placeholder for a recording no machine transcribed (voicemail).
    awaiting_transcript: bool = False
    intake_key: str | None = Field(default=None, min_length=1, max_length=128)
    actor: str = Field(default="citizen", max_length=120)


class RequestSubmission(RequestFields):
    """What `POST /api/v1/requests` accepts: a citizen's request, never who or how it came.

    The channel, the actor and the idempotency namespace come from the caller's integration
    key (or are `web`, `citizen` and server-made for an anonymous caller), so nobody can file
    as staff, pose as another channel, or find someone else's case by guessing its key.
    """

    channel: Channel | None = Field(
        default=None, description="Optional; must be the integration key's channel (web without)."
    )
    urgency: Urgency | None = Field(default=None, description="Integrations only.")
    intake_key: str | None = Field(
        default=None,
        min_length=1,
        max_length=96,
        description="Integrations only: your id for the request; repeating it answers the same "
        "case number, within your key's namespace.",
    )
