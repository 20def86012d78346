"""Every parser and endpoint that takes outside input, for the property tests to hammer.

A channel adds its own here: a `Parser` for a pure function (SMS body, Telegram update, Media
Stream frame, Open311 form) with the exception it may raise on bad input, and an `Endpoint`
for a webhook with a strategy for request bodies. The tests then check, for any input, that
the parser either answers or raises exactly that exception, and that the endpoint answers
a 2xx or a clear 4xx and writes nothing when it refuses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiogram.types import Update
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.open311 import inputs as open311_inputs
from api.open311.render import Open311Error
from auth.survey_links import read_survey_token, survey_token
from channels.sms import commands as sms_commands
from channels.survey_replies import parse_one_answer, parse_survey_keys, parse_survey_reply
from core.settings import Settings
from intake.contacts import normalise_identities, normalise_phone
from intake.errors import IntakeRejected
from intake.schemas import Contact
from models import Attachment, Case, CaseEvent
from models.citizen import CaseContact, Citizen, CitizenIdentity
from speech.audio import AudioError, mulaw_decode, mulaw_wav_bytes, read_wav

# ---- parsers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Parser:
    name: str
    parse: Callable[[Any], Any]
    rejects_with: type[Exception]
    inputs: st.SearchStrategy[Any]


phone_like = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"\+?[0-9 ()\-]{0,25}", fullmatch=True),
    st.sampled_from(["+86 138 0013 8000", "8613800138000", "13800138000", "+1 202 555 0142"]),
)
# Contact itself refuses NUL and lone surrogates (tested through the endpoint); these reach
# the normaliser.
no_nul = st.characters(codec="utf-8", exclude_characters="\x00")
contacts = st.builds(
    Contact,
    name=st.none() | st.text(no_nul, max_size=120),
    phone=st.none()
    | st.text(no_nul, max_size=40)
    | phone_like.filter(lambda s: len(s) <= 40 and s.isascii() and "\x00" not in s),
    telegram_chat_id=st.none() | st.text(no_nul, max_size=40),
    email=st.none() | st.emails().filter(lambda s: len(s) <= 254) | st.text(no_nul, max_size=254),
)

# ---- JSON as anyone may send it ---------------------------------------------------

NASTY_STRINGS = [
    "\x00",
    "路灯\x00坏了",
    "\ud800",  # a lone surrogate: valid JSON escape, not encodable as UTF-8
    "\U0010ffff",
    " " * 10,
    "'; DROP TABLE cases; --",
    "\u202e\u0645\u0631\u062d\u0628\u0627",
]
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=50)
    | st.sampled_from(NASTY_STRINGS)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
SURVEY_SETTINGS = Settings(secret_key="k" * 40, _env_file=None)  # type: ignore[call-arg]
# ---- the channels' parsers --------------------------------------------------------------


class NeverRaised(Exception):
    """For parsers that must answer every input (an SMS body is always something)."""


def parse_sms(body: str) -> sms_commands.Parsed:
    parsed = sms_commands.parse(body)
    assert isinstance(parsed.command, sms_commands.Command)
    return parsed


sms_bodies = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        ["STOP", "退订", "status", "查询：20260101-000001", "CX 2026", "new 路灯坏了", "EN help",
         "\u3000ＳＴＯＰ\u3000", "?", "新：", "en ", "1 1 1", "是 否 满意"]
    ),
    st.from_regex(r"(?i)(status|查询|cx|new|新|en)[:： \t]{0,3}[0-9\-]{0,20}.{0,10}"),
)  # fmt: skip
survey_words = st.sampled_from(
    ["1", "2", "3", "4", "yes", "no", "是", "否", "满意", "不满意", "basically satisfied", "ok"]
)
survey_texts = st.one_of(
    st.text(max_size=80),
    st.lists(survey_words, max_size=5).map(" ".join),
    st.lists(survey_words, max_size=5).map("".join),
)


def validate_update(data: Any) -> Update:
    """What the webhook does with a body: aiogram's model, refusing with pydantic's error."""
    return Update.model_validate(data)


def telegram_updates() -> st.SearchStrategy[Any]:
    user = st.fixed_dictionaries(
        {"id": st.integers(), "is_bot": st.booleans(), "first_name": st.text(max_size=10)}
    )
    chat = st.fixed_dictionaries(
        {"id": st.integers(), "type": st.sampled_from(["private", "group", "x"])}
    )
    message = st.fixed_dictionaries(
        {"message_id": st.integers(), "date": st.integers(0, 2**40), "chat": chat},
        optional={
            "from": user,
            "text": st.text(max_size=40) | st.sampled_from(NASTY_STRINGS),
            "location": st.fixed_dictionaries(
                {"latitude": st.floats(), "longitude": st.floats(allow_nan=False)}
            ),
            "photo": st.lists(json_values, max_size=2),
        },
    )
    callback = st.fixed_dictionaries(
        {"id": st.text(max_size=10), "from": user, "chat_instance": st.text(max_size=10)},
        optional={"data": st.text(max_size=64), "message": message},
    )
    shaped = st.fixed_dictionaries(
        {"update_id": st.integers() | json_values},
        optional={"message": message | json_values, "callback_query": callback | json_values},
    )
    return shaped | json_values


def decode_mulaw(data: bytes) -> Any:
    """Every byte is a μ-law sample: any frame decodes, to as many 16-bit samples."""
    samples = mulaw_decode(data)
    assert samples.size == len(data) and str(samples.dtype) == "int16"
    return samples


@st.composite
def wav_files(draw: st.DrawFn) -> bytes:
    """Recordings as a caller's line or a broken download may give them: valid μ-law WAVs
    with their header fields or tail mangled, or any bytes at all."""
    audio = mulaw_wav_bytes(draw(st.binary(max_size=200)))
    choice = draw(st.integers(0, 3))
    if choice == 0:
        return draw(st.binary(max_size=300))
    if choice == 1:
        return audio[: draw(st.integers(0, len(audio)))]
    if choice == 2:
        offset = draw(st.integers(0, len(audio) - 1))
        patch = draw(st.binary(min_size=1, max_size=4))
        return audio[:offset] + patch + audio[offset + len(patch) :]
    return b"RIFF\xff\xff\xff\xffWAVEfmt " + draw(st.binary(max_size=60))


def parse_open311_form(args: tuple[str, bytes, dict[str, str]]) -> Any:
    return open311_inputs.parse_form(*args)


open311_forms = st.tuples(
    st.sampled_from(["application/x-www-form-urlencoded", "", "text/plain", "multipart/form-data"])
    | st.text(max_size=30),
    st.binary(max_size=300)
    | st.lists(st.tuples(st.text(max_size=12), st.text(max_size=20)), max_size=8).map(
        lambda pairs: "&".join(f"{k}={v}" for k, v in pairs).encode("utf-8", "surrogatepass")
    ),
    st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=3),
)

CHANNEL_PARSERS: list[Parser] = [
    Parser("sms body command", parse_sms, NeverRaised, sms_bodies),
    Parser("survey reply text", parse_survey_reply, NeverRaised, survey_texts),
    Parser(
        "survey one spoken answer",
        lambda text: parse_one_answer(text, satisfaction=True),
        NeverRaised,
        survey_texts,
    ),
    Parser(
        "survey keypad digits",
        parse_survey_keys,
        NeverRaised,
        st.text(max_size=6) | st.from_regex(r"[0-9#*]{0,4}", fullmatch=True),
    ),  # fmt: skip
    Parser(
        "survey link token",
        lambda token: read_survey_token(SURVEY_SETTINGS, token),
        NeverRaised,
        st.text(max_size=200)
        | st.from_regex(r"[A-Za-z0-9_\-]{0,60}\.[A-Za-z0-9_\-]{0,10}\.[A-Za-z0-9_\-]{0,30}")
        | st.sampled_from([survey_token(SURVEY_SETTINGS, "20261130-000001", 1, "a@b.cn")]).map(
            lambda token: token[:-3] + "abc"
        ),
    ),
    Parser("telegram update", validate_update, ValidationError, telegram_updates()),
    Parser("media stream mu-law frame", decode_mulaw, NeverRaised, st.binary(max_size=2000)),
    Parser("recording wav", read_wav, AudioError, wav_files()),
    Parser("open311 form body", parse_open311_form, Open311Error, open311_forms),
    Parser(
        "open311 locale",
        open311_inputs.parse_locale,
        Open311Error,
        st.none() | st.text(max_size=20),
    ),
    Parser(
        "open311 date",
        lambda value: open311_inputs.parse_w3c("start_date", value),
        Open311Error,
        st.none() | st.text(max_size=40) | st.datetimes().map(lambda d: d.isoformat() + "Z"),
    ),  # fmt: skip
    Parser(
        "open311 statuses",
        open311_inputs.parse_statuses,
        Open311Error,
        st.none() | st.text(max_size=40),
    ),
]

PARSERS: list[Parser] = [
    Parser(
        "phone number",
        lambda raw: normalise_phone(raw, default_region="CN"),
        IntakeRejected,
        phone_like,
    ),  # fmt: skip
    Parser(
        "contact identities",
        lambda c: normalise_identities(c, default_region="CN"),
        IntakeRejected,
        contacts,
    ),  # fmt: skip
    *CHANNEL_PARSERS,
]

# ---- endpoints --------------------------------------------------------------------------

INTAKE_FIELDS = [
    "channel", "description", "language", "type", "urgency", "transcript", "address",
    "district_code", "street_code", "latitude", "longitude", "category_code", "contact",
    "intake_key", "actor",
]  # fmt: skip


def valid_intake(key: str) -> dict[str, Any]:
    return {
        "channel": "web",
        "description": "小区门口的路灯坏了。",
        "contact": {"phone": "+8613800138000"},
        "intake_key": key,
    }


@st.composite
def mutated_intakes(draw: st.DrawFn) -> dict[str, Any]:
    """A valid body with one to three fields replaced by arbitrary JSON, or an unknown one."""
    body = valid_intake(f"fuzz-{draw(st.uuids()).hex}")
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from([*INTAKE_FIELDS, "unknown_field"]))
        body[name] = draw(json_values)
    return body


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    bodies: st.SearchStrategy[Any]


ENDPOINTS: list[Endpoint] = [
    Endpoint("web intake", "POST", "/api/v1/requests", mutated_intakes()),
    Endpoint("web intake, any JSON", "POST", "/api/v1/requests", json_values),
]

# ---- what "the database is unchanged" means ---------------------------------------------

WRITTEN_BY_INTAKE = [Case, CaseEvent, CaseContact, Citizen, CitizenIdentity, Attachment]


def row_counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            table.__name__: session.execute(select(func.count()).select_from(table)).scalar_one()  # type: ignore[arg-type]
            for table in WRITTEN_BY_INTAKE
        }
