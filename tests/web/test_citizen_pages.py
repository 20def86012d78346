"""The citizen pages over real HTTP: the confirmation only for this browser's own case, the
category search posted (never in the URL) and matched at word starts, leaves with a local office
first, static files by table only, the map's two public answers, dates in words, errors beside
their fields, and the case's photo for its owner only."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.main import create_app
from core.settings import Settings
from models.enums import Language
from notices.port import NotifierRegistry
from tests.utils.factories import unique_phone
from tests.utils.notifiers import RecordingNotifier
from tests.utils.servers import serve
from tests.utils.staff import csrf_of
from tests.web.test_public import PNG, _submit
from web.public import catalog_groups, search_matches

ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@pytest.fixture
def citizen(api_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_url, timeout=60) as client:
        yield client


def _number(response: httpx.Response) -> str:
    return response.headers["location"].split("/")[-1].split("?")[0]


def test_the_confirmation_shows_only_a_case_this_browser_just_sent(
    citizen: httpx.Client, api_url: str
) -> None:
    number = _number(_submit(citizen, description="路灯坏了"))
    mine = citizen.get(f"/submitted/{number}")
    assert mine.status_code == 200 and number in mine.text
    with httpx.Client(base_url=api_url, timeout=60) as stranger:
        theirs = stranger.get(f"/submitted/{number}")
        made_up = stranger.get("/submitted/请拨打 110-1234 领奖")
    assert theirs.status_code == 404 and 'id="case-number"' not in theirs.text
    assert made_up.status_code == 404 and "领奖" not in html.unescape(made_up.text)
    forged = citizen.get("/submitted/20260101-999999")
    assert forged.status_code == 404


def test_the_category_search_posts_the_form_back_and_makes_no_case(
    citizen: httpx.Client, engine: Engine
) -> None:
    page = citizen.get("/submit")
    assert 'formmethod="get"' not in page.text
    data = {
        "csrf_token": csrf_of(page.text),
        "intake_key": uuid.uuid4().hex,
        "q": "road",
        "search": "1",
        "description": "typed so far",
        "phone": "13800138000",
    }
    answer = citizen.post("/submit", data=data, files={"photo": ("a.png", PNG, "image/png")})
    assert answer.status_code == 200
    assert "typed so far" in answer.text and "13800138000" in answer.text
    options = re.findall(r'<option value="([0-9.]+)"[^>]*>([^<]*)</option>', answer.text)
    assert "18.05.001" in {code for code, _ in options}  # "Damaged roads and pavements"
    assert not {"08.01.002", "13.01.004"} & {code for code, _ in options}  # broadband, abroad
    assert "请重新选择照片。" in answer.text  # a file never comes back with a page


def test_category_search_matches_english_at_word_starts_and_chinese_anywhere(
    engine: Engine,
) -> None:
    with Session(engine) as session:
        _, leaves = catalog_groups(session, Language.en)
    found = {code for code, leaf in leaves.items() if search_matches(leaf, "road")}
    assert {"18.05.001", "06.02.006"} <= found
    assert not found & {"08.01.002", "13.01.004"}
    assert {c for c, leaf in leaves.items() if search_matches(leaf, "路灯")}
    assert {c for c, leaf in leaves.items() if search_matches(leaf, "street light")}


def test_leaves_with_a_local_office_in_the_pins_district_come_first(citizen: httpx.Client) -> None:
    page = citizen.get("/submit", params={"district": "110105", "lang": "en"})
    first = page.text.index("<optgroup")
    assert page.text[first:].startswith('<optgroup label="With a local office in Chaoyang')
    local = page.text[first : page.text.index("</optgroup>", first)]
    assert "16.03.001" in local  # power: the Chaoyang power supply company serves it
    assert "01.02.001" not in local
    assert 'data-districts="' in page.text


@pytest.mark.parametrize(
    ("path", "status", "kind"),
    [
        ("/static/style.css", 200, "text/css"),
        ("/static/vendor/leaflet/leaflet.js", 200, "text/javascript"),
        ("/static/vendor/leaflet/images/marker-icon.png", 200, "image/png"),
        ("/static/vendor/leaflet/README.md", 404, None),
        ("/static/../public.py", 404, None),
        ("/static/%2e%2e/public.py", 404, None),
        ("/static/vendor/../../public.py", 404, None),
        ("/static/vendor", 404, None),
    ],
)
def test_static_files_are_served_by_table_only(
    citizen: httpx.Client, path: str, status: int, kind: str | None
) -> None:
    answer = citizen.get(path)
    assert answer.status_code == status
    if kind:
        assert answer.headers["content-type"].startswith(kind)


def test_the_pin_resolves_to_district_and_street_names_only(citizen: httpx.Client) -> None:
    answer = citizen.get("/map/place", params={"lat": 39.9042, "lon": 116.4074, "lang": "zh"})
    assert answer.status_code == 200
    assert set(answer.json()) == {"district_code", "district", "street"}
    assert answer.json()["district"] == "东城区" and answer.json()["street"]
    nowhere = citizen.get("/map/place", params={"lat": 0, "lon": 0}).json()
    assert nowhere == {"district_code": None, "district": None, "street": None}
    bad_points: list[dict[str, str]] = [
        {"lat": "x", "lon": "1"},
        {"lat": "91", "lon": "1"},
        {"lat": "nan", "lon": "1"},
    ]
    for bad in bad_points:
        assert citizen.get("/map/place", params=bad).status_code == 422
        assert citizen.get("/map/nearby", params=bad).status_code == 422


@pytest.mark.parametrize(("lang", "month"), [("zh", "月"), ("en", ",")])
def test_dates_are_local_and_in_words(citizen: httpx.Client, lang: str, month: str) -> None:
    number = _number(_submit(citizen, description="井盖丢了"))
    track = citizen.get("/track", params={"number": number, "lang": lang}).text
    feed = citizen.get("/feed", params={"lang": lang}).text
    for page in (track, feed):
        assert not ISO.search(page)
    assert month in re.search(r'<dd id="submitted">([^<]*)</dd>', track).group(1)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("lang", "said"), [("zh", "“12345”不是有效的电话号码"), ("en", "'12345' is not a valid")]
)
def test_an_error_is_shown_beside_its_field(citizen: httpx.Client, lang: str, said: str) -> None:
    citizen.get(f"/submit?lang={lang}")
    answer = _submit(citizen, description="路灯坏了", phone="12345")
    beside = re.search(r'<span class="field-error" id="error-phone">([^<]*)</span>', answer.text)
    assert beside is not None and said in html.unescape(beside.group(1))


def test_the_photo_is_shown_to_its_owner_after_the_code_and_to_nobody_else(
    settings: Settings, worker_process: None
) -> None:
    app = create_app(settings)
    notifier = RecordingNotifier()
    app.state.notifiers = NotifierRegistry(default=notifier)
    with serve(app) as url, httpx.Client(base_url=url, timeout=60) as owner:
        number = _number(_submit(owner, description="门口的井盖丢了", phone=unique_phone()))
        token = csrf_of(owner.get("/track", params={"number": number}).text)
        before = owner.get(f"/track?number={number}")
        assert "/photos/" not in before.text
        owner.post(f"/track/{number}/code", data={"csrf_token": token})
        code = re.findall(r"\b\d{6}\b", notifier.sent[-1].text.replace(number, ""))[0]
        owner.post(f"/track/{number}/details", data={"csrf_token": token, "code": code})
        page = owner.get("/track", params={"number": number}).text
        link = re.search(rf"/track/{number}/photos/(\d+)", page)
        assert link is not None
        photo = owner.get(link.group(0))
        assert photo.status_code == 200 and photo.content == PNG
        assert photo.headers["content-type"] == "image/png"
        assert photo.headers["cache-control"] == "private, no-store"
        with httpx.Client(base_url=url, timeout=60) as stranger:
            assert stranger.get(link.group(0)).status_code == 404
            stranger.cookies.set("hotline_details", "forged")
            assert stranger.get(link.group(0)).status_code == 404
        other = _number(_submit(owner, description="另一件事", phone=unique_phone()))
        # the owner's proof for one case opens no photo of another case
        assert owner.get(f"/track/{other}/photos/{link.group(1)}").status_code == 404


def test_switching_language_on_the_answer_to_a_post_opens_the_same_page(
    citizen: httpx.Client,
) -> None:
    number = _number(_submit(citizen, description="井盖丢了"))
    answer = citizen.post(f"/track/{number}/code", data={"csrf_token": "stale"})
    link = re.search(r'<a href="([^"]*)" hreflang="en">', answer.text)
    assert link is not None and html.unescape(link.group(1)) == f"/track?number={number}&lang=en"
    assert citizen.get(html.unescape(link.group(1))).status_code == 200


def test_without_javascript_a_typed_point_lists_possible_duplicates_and_its_district(
    citizen: httpx.Client,
) -> None:
    point = {"latitude": "39.9219", "longitude": "116.4432"}  # in 朝阳区
    first = _submit(citizen, description="路灯不亮", category_code="01.02.001", **point)
    number = _number(first)
    page = citizen.get("/submit")
    data = {
        "csrf_token": csrf_of(page.text),
        "search": "1",
        "q": "",
        "category_code": "01.02.001",
        **point,
    }
    again = citizen.post("/submit", data=data)
    section = again.text[again.text.index('id="duplicates"') : again.text.index("</section>")]
    assert "hidden" not in section.split(">")[0]
    assert f'href="/track?number={number}"' in section
    assert 'name="district" id="district" value="110105"' in again.text
