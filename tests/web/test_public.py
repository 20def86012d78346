"""Public pages over real HTTP: the form becomes a web case, the tracker shows the public
timeline, details need the one-time code, and the feed carries no personal data."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.main import create_app
from core.settings import Settings
from models import Attachment
from models.enums import Channel
from notices.port import NotifierRegistry
from tests.utils.cases import case_row
from tests.utils.factories import unique_phone
from tests.utils.notifiers import RecordingNotifier
from tests.utils.servers import serve
from tests.utils.staff import csrf_of

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


def _submit(client: httpx.Client, **fields: str) -> httpx.Response:
    page = client.get("/submit")
    data = {"csrf_token": csrf_of(page.text), "intake_key": uuid.uuid4().hex, **fields}
    return client.post("/submit", data=data, files={"photo": ("lamp.png", PNG, "image/png")})


@pytest.fixture
def browser_like(api_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_url, timeout=60) as client:
        yield client


def test_the_form_makes_a_web_case_with_its_photo_and_shows_the_number(
    browser_like: httpx.Client, engine: Engine
) -> None:
    phone = unique_phone()
    response = _submit(
        browser_like,
        description="小区门口的路灯坏了",
        category_code="01.02.001",
        address="朝阳区望京街道某小区3号楼",
        phone=phone,
    )
    assert response.status_code == 303
    number = response.headers["location"].split("/")[-1].split("?")[0]
    confirmation = browser_like.get(response.headers["location"])
    assert number in confirmation.text
    case = case_row(engine, number)
    assert case.channel == Channel.web
    assert case.category_code == "01.02.001"
    with Session(engine) as session:
        photos = session.exec(select(Attachment).where(Attachment.case_id == case.id)).all()
    assert [(p.filename, p.content_type, p.size) for p in photos] == [
        ("lamp.png", "image/png", len(PNG))
    ]


def test_a_form_without_its_csrf_token_makes_no_case(browser_like: httpx.Client) -> None:
    browser_like.get("/submit")
    response = browser_like.post(
        "/submit", data={"csrf_token": "forged", "description": "x", "intake_key": "k-forged"}
    )
    assert response.status_code == 422
    assert "csrf" in response.text


def test_an_empty_description_comes_back_with_the_reason_and_the_typed_text(
    browser_like: httpx.Client,
) -> None:
    response = _submit(browser_like, description="   ", address="海淀区中关村大街1号")
    assert response.status_code == 422
    assert "问题描述: 请描述问题：问题描述为空" in html.unescape(response.text)
    assert "海淀区中关村大街1号" in response.text


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("zh", "手机号码: “12345”不是有效的电话号码"),
        ("en", "Mobile phone: '12345' is not a valid phone number"),
    ],
)
def test_a_refused_phone_is_named_by_its_label_in_the_pages_language(
    browser_like: httpx.Client, lang: str, said: str
) -> None:
    browser_like.get(f"/submit?lang={lang}")  # the choice sticks in a cookie
    response = _submit(browser_like, description="路灯坏了", phone="12345")
    assert response.status_code == 422
    assert said in html.unescape(response.text)
    assert "contact.phone" not in response.text


def test_the_form_is_in_english_on_request(browser_like: httpx.Client) -> None:
    page = browser_like.get("/submit?lang=en")
    assert "Describe the problem" in page.text
    assert 'lang="en"' in page.text
    assert "Describe the problem" in browser_like.get("/submit").text  # remembered


def test_the_browsers_language_is_negotiated_until_the_visitor_picks_one(
    browser_like: httpx.Client,
) -> None:
    french_first = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
    assert 'lang="en"' in browser_like.get("/submit", headers=french_first).text
    assert 'lang="zh-CN"' in browser_like.get("/submit", headers={"Accept-Language": "zh-TW"}).text
    browser_like.get("/submit?lang=zh")
    assert 'lang="zh-CN"' in browser_like.get("/submit", headers=french_first).text


def _language_link(page: str, code: str) -> str:
    found = re.search(rf'<a href="([^"]*)" hreflang="{code}">', page)
    assert found is not None, f"no link to the {code} page"
    return html.unescape(found.group(1))


def test_switching_language_keeps_the_pages_other_query_parameters(
    browser_like: httpx.Client,
) -> None:
    track = browser_like.get("/track", params={"number": "19990101-000001"})
    assert _language_link(track.text, "en") == "?number=19990101-000001&lang=en"
    english = browser_like.get("/track" + _language_link(track.text, "en"))
    assert 'lang="en"' in english.text and "No request with this number." in english.text
    assert _language_link(english.text, "zh") == "?number=19990101-000001&lang=zh"
    feed = browser_like.get("/feed", params={"district": "110108", "category": "01"})
    assert 'lang="en"' in feed.text  # the choice stuck
    assert _language_link(feed.text, "zh") == "?district=110108&category=01&lang=zh"


def test_category_search_works_without_javascript(browser_like: httpx.Client) -> None:
    page = browser_like.get("/submit", params={"q": "路灯", "description": "typed so far"})
    options = re.findall(r'<option value="([0-9.]+)"', page.text)
    assert options and len(options) < 20
    assert "typed so far" in page.text


def test_the_tracker_shows_the_public_timeline_without_the_details(
    browser_like: httpx.Client,
) -> None:
    response = _submit(browser_like, description="秘密的描述 13800000000", address="某路8号")
    number = response.headers["location"].split("/")[-1].split("?")[0]
    page = browser_like.get("/track", params={"number": number})
    assert page.status_code == 200
    assert "诉求已受理" in page.text
    assert "秘密的描述" not in page.text
    assert "某路8号" not in page.text
    assert browser_like.get("/track", params={"number": "19990101-000001"}).status_code == 404


def test_the_feed_shows_area_and_category_but_no_personal_data(
    browser_like: httpx.Client,
) -> None:
    phone = unique_phone()
    _submit(
        browser_like,
        description="张三家楼上漏水",
        name="张三",
        phone=phone,
        address="朝阳区某小区5号楼302",
        category_code="01.02.001",
    )
    feed = browser_like.get("/feed").text
    assert "园林绿化环卫" in feed
    for private in ("张三", phone, phone[3:], "5号楼302", "漏水"):
        assert private not in feed


def test_the_one_time_code_sent_to_the_citizens_phone_unlocks_the_details(
    settings: Settings, worker_process: None
) -> None:
    app = create_app(settings)
    notifier = RecordingNotifier()
    app.state.notifiers = NotifierRegistry(default=notifier)
    phone = unique_phone()
    with serve(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        created = _submit(client, description="门口的井盖丢了", phone=phone)
        number = created.headers["location"].split("/")[-1].split("?")[0]
        page = client.get("/track", params={"number": number})
        token = csrf_of(page.text)
        wrong = client.post(
            f"/track/{number}/details", data={"csrf_token": token, "code": "000000"}
        )
        assert wrong.status_code == 403
        client.post(f"/track/{number}/code", data={"csrf_token": token})
        [message] = notifier.sent
        assert message.address == phone
        code = re.findall(r"\b\d{6}\b", message.text.replace(number, ""))
        assert len(code) == 1
        right = client.post(f"/track/{number}/details", data={"csrf_token": token, "code": code[0]})
        assert right.status_code == 303
        unlocked = client.get("/track", params={"number": number})
    assert "门口的井盖丢了" in unlocked.text


def test_guessing_the_code_and_asking_for_codes_are_throttled(
    settings: Settings, worker_process: None
) -> None:
    # One window (they are fixed, at multiples of their length) holds all of this test's tries.
    strict = settings.model_copy(update={"login_max_failures": 2, "login_window_s": 10**9})
    app = create_app(strict)
    app.state.notifiers = NotifierRegistry(default=RecordingNotifier())
    with serve(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        created = _submit(client, description="井盖", phone=unique_phone())
        number = created.headers["location"].split("/")[-1].split("?")[0]
        token = csrf_of(client.get("/track", params={"number": number}).text)
        codes = [
            client.post(f"/track/{number}/details", data={"csrf_token": token, "code": c})
            for c in ("111111", "222222", "333333")
        ]
        sends = [client.post(f"/track/{number}/code", data={"csrf_token": token}) for _ in range(3)]
    assert [r.status_code for r in codes] == [403, 403, 429]
    assert [r.status_code for r in sends] == [200, 200, 429]


def test_nul_characters_in_addresses_of_public_pages_never_reach_the_database(
    browser_like: httpx.Client,
) -> None:
    assert browser_like.get("/track", params={"number": "2026\x00"}).status_code == 404
    assert browser_like.get("/feed", params={"district": "\x00", "category": "\x00"}).is_success
    response = _submit(browser_like, description="路灯\x00坏了", category_code="\x00")
    assert response.status_code == 303
