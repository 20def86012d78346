"""Bounded inputs as an attacker tests them: bodies far over the limit, declared or streamed,
to the public form, the open intake and a signed Twilio webhook (defect 12 of issue 13)."""

from __future__ import annotations

import json
import select
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
import sqlmodel
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from api.main import create_app
from channels.twilio.signature import sign
from core.settings import Settings
from models import Case
from tests.utils.servers import serve
from tests.utils.staff import csrf_of
from tests.utils.twilio_api import ACCOUNT_SID, AUTH_TOKEN, HOTLINE_NUMBER

PUBLIC = "https://hotline.example.gov.cn"
FIFTY_MB = 50 * 1024 * 1024
CHUNK = 64 * 1024
BOUNDARY = "----hotline-attack"


@pytest.fixture(scope="module")
def app(settings: Settings, worker_process: None) -> Iterator[tuple[str, Settings]]:
    """The API with its default limits and Twilio configured, so webhooks are really signed."""
    configured = settings.model_copy(
        update={
            "twilio_account_sid": ACCOUNT_SID,
            "twilio_auth_token": AUTH_TOKEN,
            "twilio_phone_number": HOTLINE_NUMBER,
            "public_base_url": PUBLIC,
        }
    )
    with serve(create_app(configured)) as url:
        yield url, configured


@dataclass(frozen=True)
class Attack:
    path: str
    content_type: str
    head: bytes  # the body's first bytes; the rest is filler, then `tail`
    tail: bytes
    headers: dict[str, str]
    field: bytes = b""  # each filler chunk starts a new form field (each under Starlette's 1 MB)


def _attacks() -> dict[str, Attack]:
    photo_head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="description"\r\n\r\n'
        "路灯坏了\r\n"
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="photo"; '
        'filename="lamp.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
    ).encode()
    sms = {"From": "+8613500004444", "To": HOTLINE_NUMBER, "MessageSid": "SM" + "4" * 32}
    return {
        "/submit": Attack(
            "/submit",
            f"multipart/form-data; boundary={BOUNDARY}",
            photo_head,
            f"\r\n--{BOUNDARY}--\r\n".encode(),
            {},
        ),
        "/api/v1/requests": Attack(
            "/api/v1/requests",
            "application/json",
            b'{"channel": "web", "description": "',
            b'"}',
            {},
        ),
        "/twilio/sms": Attack(
            "/twilio/sms",
            "application/x-www-form-urlencoded",
            (urlencode(sms) + "&Body=").encode(),
            b"",
            # Signed as Twilio would sign the short form: the body never gets that far.
            {"X-Twilio-Signature": sign(PUBLIC + "/twilio/sms", sms, AUTH_TOKEN)},
            field=b"&Body=",
        ),
    }


ATTACKS = _attacks()


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    sent: int  # body bytes the attacker got to send before the answer came


def _send_until_answered(url: str, attack: Attack, *, declared: bool) -> Answer:
    """POST a 50 MB body over a raw socket, the way a script would: with Content-Length
    (`declared`) or chunked with none, stopping as soon as the server answers."""
    target = urlsplit(url)
    lines = [
        f"POST {attack.path} HTTP/1.1",
        f"Host: {target.netloc}",
        f"Content-Type: {attack.content_type}",
        *(f"{name}: {value}" for name, value in attack.headers.items()),
        f"Content-Length: {FIFTY_MB}" if declared else "Transfer-Encoding: chunked",
    ]
    body = _body(attack)
    sent = 0
    with socket.create_connection((target.hostname, target.port or 80), timeout=60) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        try:
            for chunk in body:
                if select.select([sock], [], [], 0)[0]:
                    break  # the server has answered (or closed): stop sending
                sock.sendall(
                    f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if not declared else chunk
                )
                sent += len(chunk)
            else:
                if not declared:
                    sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed the connection after its answer
        return Answer(*_read_response(sock), sent=sent)


def _body(attack: Attack) -> Iterator[bytes]:
    yield attack.head
    filler = FIFTY_MB - len(attack.head) - len(attack.tail)
    while filler > 0:
        size = min(CHUNK, filler)
        filler -= size
        yield (attack.field + b"a" * size)[:size]
    if attack.tail:
        yield attack.tail


def _read_response(sock: socket.socket) -> tuple[int, str]:
    data = b""
    try:
        while b"\r\n\r\n" not in data or len(data) < _expected_length(data):
            part = sock.recv(65536)
            if not part:
                break
            data += part
    except ConnectionResetError:
        pass
    head, _, body = data.partition(b"\r\n\r\n")
    assert head, "the server closed the connection without an answer"
    status = int(head.split(b" ", 2)[1])
    return status, body.decode("utf-8", "replace")


def _expected_length(data: bytes) -> int:
    head, _, _ = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(head) + 4 + int(value.strip())
    return len(data)


@pytest.mark.parametrize("path", list(ATTACKS))
def test_a_declared_50_mb_body_is_refused_before_it_is_read(
    app: tuple[str, Settings], path: str
) -> None:
    """Defect 12 of issue 13: without nginx, bodies had no limit in the app."""
    url, settings = app
    answer = _send_until_answered(url, ATTACKS[path], declared=True)
    assert answer.status == 413
    limit = settings.max_request_bytes
    assert json.loads(answer.body)["detail"] == (
        f"the request body is larger than this server accepts ({limit} bytes); "
        "send a smaller photo or a shorter text"
    )
    assert answer.sent < FIFTY_MB  # answered while the body was still coming


@pytest.mark.parametrize("path", list(ATTACKS))
def test_a_streamed_50_mb_body_without_content_length_is_cut_off(
    app: tuple[str, Settings], path: str
) -> None:
    """Defect 12 of issue 13: a chunked body is counted as it arrives, not trusted to be small."""
    url, settings = app
    answer = _send_until_answered(url, ATTACKS[path], declared=False)
    assert answer.status == 413
    assert "the request body is larger than this server accepts" in answer.body
    assert answer.sent < FIFTY_MB


def test_a_streamed_body_under_the_limit_is_served_as_before(app: tuple[str, Settings]) -> None:
    """Guard for defect 12 of issue 13 (passes on the old code too): counting a chunked body
    does not refuse a small one."""
    url, _ = app
    document = json.dumps({"channel": "web", "description": "小区门口路灯不亮了"}).encode()

    def chunks() -> Iterator[bytes]:
        yield document[:10]
        yield document[10:]

    answer = httpx.post(
        url + "/api/v1/requests",
        content=chunks(),
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["number"]


def test_a_photo_over_the_attachment_cap_is_refused_and_not_stored(
    api_url: str, settings: Settings, engine: Engine
) -> None:
    """Guard for defect 12 of issue 13 (passes on the old code too, which read the photo into
    memory first): the photo is measured where the form parser spooled it, and refused."""
    with httpx.Client(base_url=api_url, timeout=60) as browser:  # http: its cookies are sent
        form = browser.get("/submit")
        token = csrf_of(form.text)
        photo = b"\xff\xd8\xff" + bytes(settings.max_attachment_bytes)
        description = f"路灯坏了 {uuid.uuid4().hex}"
        answer = browser.post(
            "/submit",
            data={"description": description, "csrf_token": token},
            files={"photo": ("lamp.jpg", photo, "image/jpeg")},
        )
    assert answer.status_code == 422
    assert f"({len(photo)} &gt; {settings.max_attachment_bytes} bytes)" in answer.text
    with Session(engine) as session:
        query = sqlmodel.select(Case).where(col(Case.description) == description)
        assert session.exec(query).first() is None  # the form came back; no case was made
