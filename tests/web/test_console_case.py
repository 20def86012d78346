"""The console's case page over real HTTP against a real worker and Temporal: the dispatch form
(picker, category correction, errors next to the field), attachments served to those who may
see the case only, the caller's other cases, the timeline in words."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy.engine import Engine

from core.db import session_scope
from core.settings import Settings
from intake.attachments import store_attachment
from models.enums import AttachmentKind, Channel, EventKind, StaffRole
from models.event import CaseEvent
from models.notification import Notification
from tests.utils.cases import case_row, events
from tests.utils.factories import make_submission, unique_phone
from tests.utils.staff import CHAOYANG, HAIDIAN, console_login, csrf_of, make_staff

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)
WAV = b"RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00@\x1f\x00\x00\x80>\x00\x00\x02\x00\x10\x00data\x00\x00\x00\x00"  # noqa: E501


def _new_case(api_url: str, **overrides: object) -> str:
    created = httpx.post(f"{api_url}/api/v1/requests", json=make_submission(**overrides))
    number: str = created.json()["number"]
    return number


def _dispatch(client: httpx.Client, number: str, **fields: str) -> httpx.Response:
    token = csrf_of(client.get(f"/console/cases/{number}").text)
    return client.post(f"/console/cases/{number}/dispatch", data={"csrf_token": token, **fields})


def _attach(
    engine: Engine, settings: Settings, number: str, data: bytes, kind: AttachmentKind
) -> int:
    content_type, name = (
        ("image/png", "lamp.png") if kind is AttachmentKind.photo else ("audio/wav", "call.wav")
    )
    with session_scope(engine) as session:
        case_id = case_row(engine, number).id
        assert case_id is not None
        row = store_attachment(
            session=session,
            root=settings.attachments_path,
            case_id=case_id,
            data=data,
            kind=kind,
            content_type=content_type,
            filename=name,
            max_bytes=settings.max_attachment_bytes,
        )
        assert row.id is not None
        return row.id


def test_without_a_suggestion_no_unit_is_preselected_and_none_chosen_is_an_error_by_the_field(
    api_url: str, engine: Engine
) -> None:
    number = _new_case(api_url)
    with console_login(api_url, make_staff(engine, StaffRole.dispatcher)) as client:
        page = client.get(f"/console/cases/{number}").text
        assert (
            'id="unit-picker" name="unit_code" list="unit-options" autocomplete="off" value=""'
            in page
        )
        assert "selected" not in page.split('id="unit-options"')[1].split("</datalist>")[0]
        empty = _dispatch(client, number, unit_code="")
        unknown = _dispatch(client, number, unit_code="不存在的单位")
        ambiguous = _dispatch(client, number, unit_code="八里庄街道")  # in 朝阳区 and 海淀区
    assert empty.status_code == 422
    assert re.search(r'id="unit-error" role="alert">请选择派单的承办单位。', empty.text)
    assert unknown.status_code == ambiguous.status_code == 422
    assert "没有与“不存在的单位”匹配的单位" in unknown.text
    assert [e.kind for e in events(engine, number)] == ["accepted"]


def test_the_dispatcher_picks_a_unit_by_name_and_corrects_the_category(
    api_url: str, engine: Engine
) -> None:
    number = _new_case(api_url, category_code="01.02.001")
    with console_login(api_url, make_staff(engine, StaffRole.dispatcher)) as client:
        bad = _dispatch(client, number, unit_code=HAIDIAN, category_code="01.02")  # not a leaf
        assert bad.status_code == 422
        assert 'id="category-error"' in bad.text
        done = _dispatch(client, number, unit_code="海淀区", category_code="16.01.002")
        assert done.status_code == 303
        page = client.get(done.headers["location"]).text
    row = case_row(engine, number)
    assert (row.lead_unit_code, row.category_code) == (HAIDIAN, "16.01.002")
    assert "水压低" in page
    assert "派单至海淀区" in page  # the timeline in words, the unit by name


def test_a_form_sent_twice_acts_once(api_url: str, engine: Engine) -> None:
    """A double click, or the browser resending after a slow answer, carries the same one-time
    request id: the second post lands on the same workflow update and gets its answer."""
    number = _new_case(api_url)
    with console_login(api_url, make_staff(engine, StaffRole.dispatcher)) as client:
        page = client.get(f"/console/cases/{number}").text
        request_id = re.search(r'name="request_id" value="([0-9a-f]{32})"', page)
        assert request_id is not None
        form = {"csrf_token": csrf_of(page), "request_id": request_id[1], "unit_code": CHAOYANG}
        first = client.post(f"/console/cases/{number}/dispatch", data=form)
        again = client.post(f"/console/cases/{number}/dispatch", data=form)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    assert [e.kind for e in events(engine, number)].count("dispatched") == 1


def test_a_forged_request_id_is_not_used_as_an_update_id(api_url: str, engine: Engine) -> None:
    """Only an id of the console's own shape names the update; anything else acts as a new
    request (never an error, never someone else's update)."""
    number = _new_case(api_url)
    with console_login(api_url, make_staff(engine, StaffRole.dispatcher)) as client:
        token = csrf_of(client.get(f"/console/cases/{number}").text)
        form = {"csrf_token": token, "request_id": "../other/dispatch/x", "unit_code": CHAOYANG}
        done = client.post(f"/console/cases/{number}/dispatch", data=form)
    assert done.status_code == 303
    assert [e.kind for e in events(engine, number)].count("dispatched") == 1


def test_attachments_are_shown_and_served_only_to_staff_who_may_see_the_case(
    api_url: str, engine: Engine, settings: Settings
) -> None:
    number = _new_case(api_url)
    other = _new_case(api_url)
    photo = _attach(engine, settings, number, PNG, AttachmentKind.photo)
    audio = _attach(engine, settings, number, WAV, AttachmentKind.audio)
    elsewhere = _attach(engine, settings, other, PNG + b"x", AttachmentKind.photo)
    with console_login(api_url, make_staff(engine, StaffRole.dispatcher)) as client:
        _dispatch(client, number, unit_code=CHAOYANG)
        page = client.get(f"/console/cases/{number}").text
        assert f'<img src="/console/cases/{number}/attachments/{photo}"' in page
        assert (
            f'<audio controls preload="none" src="/console/cases/{number}/attachments/{audio}">'
            in page
        )
        served = client.get(f"/console/cases/{number}/attachments/{photo}")
        assert served.status_code == 200 and served.content == PNG
        assert served.headers["content-type"] == "image/png"
        assert "no-store" in served.headers["cache-control"]
        assert client.get(f"/console/cases/{number}/attachments/{audio}").content == WAV
        # An attachment of another case, asked for under this case's number: not found.
        assert client.get(f"/console/cases/{number}/attachments/{elsewhere}").status_code == 404
        assert client.get(f"/console/cases/{number}/attachments/999999").status_code == 404
    with console_login(api_url, make_staff(engine, StaffRole.unit_handler, HAIDIAN)) as stranger:
        refused = stranger.get(f"/console/cases/{number}/attachments/{photo}")
        assert refused.status_code == 404 and PNG not in refused.content
    with console_login(api_url, make_staff(engine, StaffRole.unit_handler, CHAOYANG)) as own:
        assert own.get(f"/console/cases/{number}/attachments/{photo}").content == PNG
    anonymous = httpx.get(
        f"{api_url}/console/cases/{number}/attachments/{photo}", follow_redirects=False
    )
    assert anonymous.status_code == 303 and PNG not in anonymous.content


@pytest.mark.parametrize("bad", ["abc", "-1", "1.5", "9" * 30])
def test_a_malformed_attachment_id_is_refused(api_url: str, engine: Engine, bad: str) -> None:
    number = _new_case(api_url)
    with console_login(api_url, make_staff(engine, StaffRole.dispatcher)) as client:
        assert client.get(f"/console/cases/{number}/attachments/{bad}").status_code in (404, 422)


def test_the_callers_other_cases_are_listed_by_the_contact_the_case_carries(
    api_url: str, engine: Engine
) -> None:
    phone = unique_phone()
    first = _new_case(api_url, contact={"phone": phone})
    second = _new_case(api_url, contact={"phone": phone})
    unrelated = _new_case(api_url)
    with console_login(api_url, make_staff(engine, StaffRole.dispatcher)) as client:
        page = client.get(f"/console/cases/{second}").text
    listed = page.split('id="other-cases"')[1].split("</table>")[0]
    assert first in listed and unrelated not in listed and second not in listed
    assert "相同联系方式（未验证）" in listed  # a web form's phone proves nothing
    with console_login(api_url, make_staff(engine, StaffRole.unit_handler, HAIDIAN)) as handler:
        # A unit handler sees none of another unit's cases, even as "other cases".
        with console_login(api_url, make_staff(engine, StaffRole.dispatcher)) as desk:
            _dispatch(desk, second, unit_code=HAIDIAN)
        page = handler.get(f"/console/cases/{second}").text
    assert first not in page


def test_the_timeline_is_in_words_with_local_times(api_url: str, engine: Engine) -> None:
    number = _new_case(api_url)
    with console_login(api_url, make_staff(engine, StaffRole.dispatcher)) as client:
        _dispatch(client, number, unit_code=CHAOYANG, note="请尽快")
        page = client.get(f"/console/cases/{number}").text
        english = client.get(f"/console/cases/{number}?lang=en").text
    timeline = page.split('id="timeline"')[1].split("</table>")[0]
    text = re.sub(r"<[^>]+>", " ", timeline)
    assert "派单至朝阳区 (请尽快)" in text
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", page)
    assert not any(re.search(rf"\b{kind.value}\b", text) for kind in EventKind)
    for name in ("签收时限", "响应时限", "办结时限"):
        assert name in page
    assert "Dispatched to Chaoyang District" in english


def test_a_case_that_is_not_there_is_said_in_the_staff_language(
    api_url: str, engine: Engine
) -> None:
    with console_login(api_url, make_staff(engine, StaffRole.dispatcher)) as client:
        missing = client.get("/console/cases/20990101-000001")
        english = client.get("/console/cases/20990101-000001?lang=en")
    assert missing.status_code == 404 and "没有编号为 20990101-000001 的案件。" in missing.text
    assert "No case numbered 20990101-000001." in english.text


def test_every_reply_is_shown_in_order_after_a_reopen(api_url: str, engine: Engine) -> None:
    """Replies are history: the reply the citizen rejected stays beside the one after it."""
    number = _new_case(api_url)
    replies = ["路灯已更换。", "已更换整套灯具并复查。"]
    with session_scope(engine) as session:
        row = case_row(engine, number)
        assert row.id is not None
        for kind, payload in (
            (EventKind.resolved, {"reply": replies[0]}),
            (EventKind.reopened, {"unit": CHAOYANG}),
            (EventKind.resolved, {"reply": replies[1]}),
        ):
            session.add(
                CaseEvent(case_id=row.id, kind=kind.value, actor="handler-1", payload=payload)
            )
        row.reply = replies[1]
        session.add(row)
    with console_login(api_url, make_staff(engine, StaffRole.dispatcher)) as client:
        page = client.get(f"/console/cases/{number}").text
    shown = page.split('id="replies"')[1].split("</div>")[0]
    quoted = [q.split("<", 1)[0].strip() for q in shown.split('class="reply">')[1:]]
    assert quoted == replies


def test_a_notice_the_sender_cannot_deliver_shows_on_the_case_with_its_error(
    api_url: str, engine: Engine
) -> None:
    number = _new_case(api_url)
    case = case_row(engine, number)
    assert case.id is not None
    with session_scope(engine) as session:
        session.add(
            Notification(
                case_id=case.id,
                dedupe_key=f"{number}:n-failing",
                audience="citizen",
                channel=Channel.sms,
                address="+8613800138000",
                language="zh",
                kind="dispatched",
                body=f"您的诉求 {number} 已派至承办单位处理。",
                status="failed",
                attempts=20,
                last_error="TwilioRestException: HTTP 503",
            )
        )
    with console_login(api_url, make_staff(engine, StaffRole.dispatcher)) as client:
        page = client.get(f"/console/cases/{number}").text
        english = client.get(f"/console/cases/{number}?lang=en").text
    table = re.sub(r"<[^>]+>", " ", page.split('id="notices"')[1].split("</table>")[0])
    assert "发送失败：需人工跟进" in table
    assert "TwilioRestException: HTTP 503" in table
    assert "短信 +86*********00" in table
    assert "13800138000" not in table  # the address is masked
    assert "Failed: staff must follow up" in english
