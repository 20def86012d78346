"""Fuzzing the channels' webhooks as their providers reach them (signed, with the secret), so
the bytes get past authentication to the parsing: any Body/From, any update JSON, any Open311
form field, any public-form field or photo, any media stream frame. Each answers a 2xx or a
clear 4xx, never a 5xx, and writes nothing when it refuses."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import uuid
from typing import Any

import httpx
import pytest
import websockets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from channels.chat.webhook import PATH as TELEGRAM_PATH
from channels.chat.webhook import SECRET_HEADER
from channels.twilio.signature import sign
from channels.voice import tokens
from channels.voice.store import update_call
from core.settings import Settings
from models.api_key import create_api_key
from tests.badinput.conftest import PUBLIC, TELEGRAM_SECRET
from tests.badinput.registry import NASTY_STRINGS, json_values, row_counts, telegram_updates
from tests.sms.phone import twilio_form
from tests.utils.staff import csrf_of
from tests.utils.twilio_api import AUTH_TOKEN

# Modest by default (the suite is long); HOTLINE_FUZZ_EXAMPLES=500 for a deeper hunt.
FUZZ = settings(
    max_examples=int(os.environ.get("HOTLINE_FUZZ_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
# Form fields travel as UTF-8, which cannot carry a lone surrogate (the JSON tests send those).
field_text = (st.text(max_size=60) | st.sampled_from(NASTY_STRINGS)).filter(
    lambda s: "\ud800" not in s and not any(0xD800 <= ord(c) <= 0xDFFF for c in s)
)
phones = st.sampled_from(["+8613800138000", "13800138000", "+12025550142", "", "12345", "abc"])
phones = phones | field_text


def refused_cleanly(answer: httpx.Response, before: dict[str, int], engine: Engine) -> None:
    assert answer.status_code < 500, (answer.status_code, answer.text[:300])
    if answer.status_code >= 400:
        assert answer.text, "a refusal says what is wrong"
        assert row_counts(engine) == before


def signed_sms(url: str, form: dict[str, str]) -> httpx.Response:
    signature = sign(f"{PUBLIC}/twilio/sms", form, AUTH_TOKEN)
    return httpx.post(
        f"{url}/twilio/sms", data=form, headers={"X-Twilio-Signature": signature}, timeout=60
    )


@FUZZ
@given(body=field_text, sender=phones, drop=st.sets(st.sampled_from(["MessageSid", "SmsSid"])))
def test_a_signed_sms_with_any_body_and_sender_is_2xx_or_4xx(
    body: str, sender: str, drop: set[str], channels_url: str, engine: Engine
) -> None:
    before = row_counts(engine)
    form = twilio_form(sender, body, "SM" + uuid.uuid4().hex)
    for name in drop:
        form.pop(name)
    answer = signed_sms(channels_url, form)
    refused_cleanly(answer, before, engine)


@FUZZ
@given(update=telegram_updates())
def test_any_update_json_with_the_secret_is_2xx_or_4xx(
    update: Any, channels_url: str, engine: Engine
) -> None:
    before = row_counts(engine)
    answer = httpx.post(
        channels_url + TELEGRAM_PATH,
        content=json.dumps(update).encode(),
        headers={SECRET_HEADER: TELEGRAM_SECRET, "content-type": "application/json"},
        timeout=60,
    )
    refused_cleanly(answer, before, engine)


@pytest.mark.parametrize(
    "content", [b"", b"{", b"\xff\xfe", b"[]", b"null", b'{"update_id": "x"}', b"1" * 10_000]
)
def test_a_malformed_update_body_is_4xx(content: bytes, channels_url: str, engine: Engine) -> None:
    before = row_counts(engine)
    answer = httpx.post(
        channels_url + TELEGRAM_PATH,
        content=content,
        headers={SECRET_HEADER: TELEGRAM_SECRET, "content-type": "application/json"},
    )
    assert 400 <= answer.status_code < 500, answer.text
    assert row_counts(engine) == before


OPEN311_FIELDS = [
    "service_code", "lat", "long", "address_string", "address_id", "description", "email",
    "first_name", "last_name", "phone", "device_id", "account_id", "media_url", "jurisdiction_id",
    "attribute[urgency]", "attribute[language]", "attribute[request_type]", "attribute[x]",
]  # fmt: skip


@pytest.fixture(scope="module")
def open311_key(engine: Engine) -> str:
    return create_api_key(engine=engine, name="fuzzer").secret


@FUZZ
@given(
    fields=st.dictionaries(st.sampled_from(OPEN311_FIELDS), field_text | json_values.map(str)),
    token=st.uuids(),
)
def test_an_open311_post_with_any_fields_is_2xx_or_4xx(
    fields: dict[str, str], token: uuid.UUID, api_url: str, engine: Engine, open311_key: str
) -> None:
    before = row_counts(engine)
    form = {
        "api_key": open311_key,
        "service_code": "01.01.001",
        "lat": "39.9219",
        "long": "116.4436",
        "description": f"工地围挡倒了 {token.hex}",
        **fields,
    }
    encoded = str(httpx.QueryParams({k: v for k, v in form.items() if "\ud800" not in v}))
    answer = httpx.post(
        f"{api_url}/open311/v2/requests.json",
        content=encoded.encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
        timeout=60,
    )
    refused_cleanly(answer, before, engine)


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)
PUBLIC_FORM_FIELDS = [
    "description", "category_code", "type", "address", "latitude", "longitude", "name",
    "phone", "email", "lang",
]  # fmt: skip
photos = st.one_of(
    st.none(),
    st.tuples(st.text(max_size=30), st.binary(max_size=200), st.sampled_from(["image/png", ""])),
    st.just(("lamp.png", PNG[:20], "image/png")),  # a truncated image
    st.just(("lamp.png", b"<html>not a picture</html>", "image/png")),
    st.just(("x.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 16, "image/jpeg")),
)


@FUZZ
@given(
    fields=st.dictionaries(
        st.sampled_from(PUBLIC_FORM_FIELDS),
        field_text,
    ),
    photo=photos,
)
def test_the_public_form_with_any_fields_and_photo_is_a_case_or_the_form_again(
    fields: dict[str, str],
    photo: tuple[str, bytes, str] | None,
    api_url: str,
    engine: Engine,
) -> None:
    before = row_counts(engine)
    with httpx.Client(base_url=api_url, timeout=60) as browser:
        page = browser.get("/submit")
        data = {"csrf_token": csrf_of(page.text), "intake_key": uuid.uuid4().hex, **fields}
        files = {"photo": (photo[0], photo[1], photo[2])} if photo else None
        answer = browser.post("/submit", data=data, files=files)
    assert answer.status_code < 500, (answer.status_code, answer.text[:300])
    if answer.status_code != 303:  # the form again, with what to fix; nothing written
        assert row_counts(engine) == before


def test_an_oversized_photo_is_refused_and_writes_nothing(api_url: str, engine: Engine) -> None:
    before = row_counts(engine)
    with httpx.Client(base_url=api_url, timeout=120) as browser:
        page = browser.get("/submit")
        data = {
            "csrf_token": csrf_of(page.text),
            "intake_key": uuid.uuid4().hex,
            "description": "路灯坏了",
        }
        huge = PNG + b"\x00" * (21 * 1024 * 1024)
        answer = browser.post("/submit", data=data, files={"photo": ("big.png", huge, "image/png")})
    assert answer.status_code in (200, 400, 413, 422), answer.status_code
    assert row_counts(engine) == before


# ---- the media stream websocket ---------------------------------------------------------

MEDIA_URL = PUBLIC.replace("https://", "wss://") + "/twilio/media"
KNOWN_CALL = "CA" + "0" * 32
TOKEN_HERE = "<the stream token of KNOWN_CALL>"
# A clean close: 1000 normal, 1003 unsupported data, 1008 policy (a start that proves no call).
CLEAN_CLOSES = ("closed 1000", "closed 1003", "closed 1005", "closed 1008")


def with_token(messages: list[str], app_settings: Settings, engine: Engine) -> list[str]:
    """The frames with KNOWN_CALL announced (as its signed webhook would) and its token in."""
    update_call(engine, KNOWN_CALL)
    token = tokens.issue(app_settings, KNOWN_CALL, "intake")
    return [message.replace(TOKEN_HERE, token) for message in messages]


def frames() -> st.SearchStrategy[str]:
    """Text frames Twilio never sends: not JSON, wrong shapes, bad base64, huge payloads."""
    start = {  # a call Twilio announced, with its stream token: the frames after it are parsed
        "event": "start",
        "start": {
            "callSid": KNOWN_CALL,
            "customParameters": {"token": TOKEN_HERE},
            "mediaFormat": {},
        },
    }
    media = {"event": "media", "media": {"payload": base64.b64encode(b"\xff" * 160).decode()}}
    broken_media = st.fixed_dictionaries(
        {"event": st.just("media"), "media": json_values | st.fixed_dictionaries(
            {"payload": st.text(max_size=40) | st.just("!!!not base64!!!")}
        )},
    )  # fmt: skip
    broken_start = st.fixed_dictionaries(
        {"event": st.just("start"), "start": json_values | st.fixed_dictionaries(
            {"callSid": json_values, "customParameters": json_values, "mediaFormat": json_values}
        )},
    )  # fmt: skip
    shaped = st.one_of(
        broken_media,
        broken_start,
        st.fixed_dictionaries({"event": json_values | st.sampled_from(["dtmf", "stop", "mark"])}),
        st.just(media),
        st.just(start),
    ).map(json.dumps)
    return st.one_of(
        st.text(max_size=100),
        json_values.map(json.dumps),
        shaped,
        st.just(json.dumps({"event": "media", "media": {"payload": "A" * 2_000_000}})),
    )


async def stream(url: str, messages: list[str]) -> str:
    """Send the frames; how it ended: the server closed (with its code) or it kept listening."""
    headers = {"X-Twilio-Signature": sign(MEDIA_URL, {}, AUTH_TOKEN)}
    ws = url.replace("http://", "ws://") + "/twilio/media"
    async with websockets.connect(ws, additional_headers=headers, max_size=None) as socket:
        try:
            for message in messages:
                await socket.send(message)
            await asyncio.wait_for(socket.wait_closed(), timeout=2)
        except websockets.ConnectionClosed:
            pass
        except TimeoutError:
            return "open"
        return f"closed {socket.close_code}"


@FUZZ
@given(messages=st.lists(frames(), min_size=1, max_size=4))
def test_malformed_media_frames_close_cleanly_or_are_ignored(
    messages: list[str], channels_url: str, channel_settings: Settings, engine: Engine
) -> None:
    messages = with_token(messages, channel_settings, engine)
    before = row_counts(engine)
    ended = asyncio.run(stream(channels_url, messages))
    # a clean close, never 1011 (an internal error)
    assert ended in ("open", *CLEAN_CLOSES), ended
    assert row_counts(engine) == before
    assert httpx.get(f"{channels_url}/healthz", timeout=30).status_code == 200


@pytest.mark.parametrize(
    "frame",
    [
        "[]",
        "null",
        "42",
        '"start"',
        '{"event": "start", "start": []}',
        '{"event": "start", "start": {"callSid": "CA1", "customParameters": []}}',
        '{"event": "start", "start": {"callSid": "../../etc", "customParameters": {}}}',
        '{"event": "start", "start": {"callSid": "CA12", "customParameters": {"language": "xx"}}}',
        "not json at all",
        "",
    ],
)
def test_each_malformed_media_frame_closes_the_stream_cleanly(
    frame: str, channels_url: str, engine: Engine
) -> None:
    """Found by the fuzzer: a frame that is JSON but not an object was an AttributeError
    escaping the session (the socket dropped with 1006, the error logged as unhandled)."""
    before = row_counts(engine)
    ended = asyncio.run(stream(channels_url, [frame]))
    assert ended in ("closed 1003", "closed 1000", "closed 1008"), ended
    assert row_counts(engine) == before
