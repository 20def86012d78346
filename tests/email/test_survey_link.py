"""The survey link is a key to one case's survey: strangers, forgers, late and repeated answers
get a clear page in the citizen's language and change nothing."""

from __future__ import annotations

import time

import httpx
import pytest
from sqlalchemy.engine import Engine
from temporalio.client import Client

from api.main import create_app
from auth.survey_links import survey_token
from core.settings import Settings
from models.enums import CaseStatus
from tests.email.test_web_loop import submit, wait_for_status
from tests.utils.cases import case_row, event_kinds, resolve_through
from tests.utils.factories import unique_email
from tests.utils.servers import serve
from tests.utils.smtp_server import RecordingSmtp, survey_link_of
from tests.utils.staff import csrf_of

ANSWER = {"contacted": "1", "resolved": "2", "satisfaction": "2"}


async def _surveyed(url: str, smtp: RecordingSmtp, client: Client, email: str) -> tuple[str, str]:
    """A web case with `email`, resolved, whose survey e-mail arrived: (number, link path)."""
    with httpx.Client(base_url=url, timeout=60) as citizen:
        number = submit(citizen, email, "小区门口的井盖丢了，很危险。")
    await resolve_through(client, number, "井盖已补上。")
    mails = await smtp.wait_for(email, 3)
    return number, survey_link_of(mails[-1])


async def test_a_link_answers_only_its_own_case_and_forged_links_answer_none(
    email_url: str,
    smtp_settings: Settings,
    smtp_server: RecordingSmtp,
    temporal_client: Client,
    engine: Engine,
) -> None:
    email_a, email_b = unique_email(), unique_email()
    number_a, link_a = await _surveyed(email_url, smtp_server, temporal_client, email_a)
    number_b, link_b = await _surveyed(email_url, smtp_server, temporal_client, email_b)
    # Someone holding A's link (and A's contact) tries B: a token naming B for A's contact,
    # and A's token with one character changed. Only the secret key signs a token.
    for_b = survey_token(smtp_settings, number_b, 1, email_a)
    token_a = link_a.removeprefix("/survey/")
    tampered = token_a[:-1] + ("A" if token_a[-1] != "A" else "B")
    with httpx.Client(base_url=email_url, timeout=60, follow_redirects=True) as stranger:
        form = stranger.get(link_a)
        csrf = csrf_of(form.text)
        for token in (for_b, tampered, "x" * 40):
            page = stranger.post(f"/survey/{token}", data={"csrf_token": csrf, **ANSWER})
            assert page.status_code == 404
            assert "此回访链接无效" in page.text  # the browser asked for nothing: Chinese
            assert number_b not in page.text
        own = stranger.post(link_a, data={"csrf_token": csrf, **ANSWER})
        assert own.status_code == 200
        assert 'id="survey-thanks"' in own.text and number_a in own.text
    await wait_for_status(engine, number_a, CaseStatus.closed)
    assert "survey_answered" in event_kinds(engine, number_a)
    assert "survey_answered" not in event_kinds(engine, number_b)
    assert case_row(engine, number_b).status in (CaseStatus.resolved, CaseStatus.callback)
    # B answers with its own link, in its own language, unaffected.
    with httpx.Client(base_url=email_url, timeout=60) as owner:
        first = owner.get(link_b, follow_redirects=False)
        assert first.status_code == 303 and first.headers["location"].endswith("?lang=zh")
        page = owner.get(first.headers["location"])
        assert "承办单位是否联系了您" in page.text


async def test_wrong_answers_and_a_missing_csrf_token_are_refused_and_change_nothing(
    email_url: str, smtp_server: RecordingSmtp, temporal_client: Client, engine: Engine
) -> None:
    number, link = await _surveyed(email_url, smtp_server, temporal_client, unique_email())
    with httpx.Client(base_url=email_url, timeout=60, follow_redirects=True) as citizen:
        csrf = csrf_of(citizen.get(link).text)
        no_csrf = citizen.post(link, data=ANSWER)
        assert no_csrf.status_code == 403
        for bad in (
            {"contacted": "3"},
            {"satisfaction": "9"},
            {"resolved": ""},
            {"resolved": "1\x00"},
        ):
            page = citizen.post(link, data={"csrf_token": csrf, **ANSWER, **bad})
            assert page.status_code == 422, bad
            assert "请回答全部三个问题" in page.text
    assert "survey_answered" not in event_kinds(engine, number)
    assert case_row(engine, number).status in (CaseStatus.resolved, CaseStatus.callback)


@pytest.mark.usefixtures("worker_process")
def test_an_expired_link_says_so_in_the_citizens_language(settings: Settings) -> None:
    short = settings.model_copy(update={"survey_link_days": 0.5 / 86400})  # max age 0 s
    with serve(create_app(short)) as url, httpx.Client(base_url=url, timeout=60) as citizen:
        email = unique_email()
        number = submit(citizen, email, "Noise from the building site at night.", "en")
        token = survey_token(short, number, 1, email)
        time.sleep(1.1)
        page = citizen.get(f"/survey/{token}")
        assert page.status_code == 410
        assert "This survey link has expired" in page.text
