"""A web citizen with only an e-mail, end to end over HTTP: notices, the one-time code and the
callback survey all arrive by e-mail (a local SMTP server), and the survey is answered on the
web through its signed link, closing the case as answered."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy.engine import Engine
from temporalio.client import Client

from models.enums import CaseStatus, Satisfaction
from tests.utils.cases import case_row, event_kinds, resolve_through, wait_for_status
from tests.utils.factories import unique_email
from tests.utils.smtp_server import RecordingSmtp, code_of, survey_link_of, text_of
from tests.utils.staff import csrf_of

CHAOYANG = "110105"


def submit(client: httpx.Client, email: str, description: str, lang: str = "zh") -> str:
    page = client.get("/submit", params={"lang": lang})
    data = {
        "csrf_token": csrf_of(page.text),
        "intake_key": uuid.uuid4().hex,
        "description": description,
        "email": email,
        "lang": lang,
    }
    created = client.post("/submit", data=data)
    assert created.status_code == 303, created.text
    return created.headers["location"].split("/")[-1].split("?")[0]


async def test_an_email_citizen_gets_notices_the_code_and_answers_the_survey_on_the_web(
    email_url: str, smtp_server: RecordingSmtp, temporal_client: Client, engine: Engine
) -> None:
    email = unique_email()
    with httpx.Client(base_url=email_url, timeout=60) as citizen:
        number = submit(citizen, email, "Street lamp at gate 3 has been out for a week.", "en")

        track = citizen.get("/track", params={"number": number, "lang": "en"})
        sent = citizen.post(f"/track/{number}/code", data={"csrf_token": csrf_of(track.text)})
        assert sent.status_code == 200
        masked = f"{email[0]}***@example.com"
        assert f"The code has been sent to {masked}." in sent.text
        assert email not in sent.text
        [code_mail] = await smtp_server.wait_for(email)
        assert code_mail["Subject"] == f"Your code for case {number}"
        checked = citizen.post(
            f"/track/{number}/details",
            data={"csrf_token": csrf_of(sent.text), "code": code_of(code_mail)},
        )
        assert checked.status_code == 303
        details = citizen.get("/track", params={"number": number})
        assert "Street lamp at gate 3" in details.text

        await resolve_through(temporal_client, number, "The lamp was replaced on Monday.")
        _, dispatched, resolved, survey_mail = await smtp_server.wait_for(email, 4)
        assert dispatched["Subject"] == f"12345 citizen hotline: case {number}"
        assert "sent to the unit responsible" in text_of(dispatched)
        assert "The lamp was replaced on Monday." in text_of(resolved)
        assert survey_mail["Subject"] == f"How was case {number} handled?"
        link = survey_link_of(survey_mail)

        form = citizen.get(link)  # in the citizen's language: English
        assert "Did the unit responsible contact you?" in form.text
        answer = {"csrf_token": csrf_of(form.text), "contacted": "1", "resolved": "1"}
        answered = citizen.post(link, data={**answer, "satisfaction": "1"})
        assert answered.status_code == 200
        assert f"Thank you for rating case {number}." in answered.text

        await wait_for_status(engine, number, CaseStatus.closed)
        row = case_row(engine, number)
        assert (row.survey_contacted, row.survey_resolved) == (True, True)
        assert row.satisfaction == Satisfaction.satisfied
        assert "survey_answered" in event_kinds(engine, number)

        again = citizen.post(link, data={**answer, "satisfaction": "3"})
        assert again.status_code == 410
        assert "is no longer open" in again.text
    assert event_kinds(engine, number).count("survey_answered") == 1
