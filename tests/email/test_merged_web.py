"""并案 for a web citizen reached by e-mail: the merged notice names the master, the master's
reply and survey link arrive by e-mail under the citizen's own number, and the answer given on
the web is recorded on the master beside (not instead of) the master citizen's."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy.engine import Engine
from temporalio.client import Client

from models.enums import CaseStatus
from tests.email.test_web_loop import submit
from tests.utils.cases import case_row, events, resolve_through
from tests.utils.factories import unique_email
from tests.utils.smtp_server import RecordingSmtp, survey_link_of, text_of
from tests.utils.staff import csrf_of
from workflows.case import CaseWorkflow
from workflows.types import Merge


async def test_a_merged_email_citizen_answers_the_masters_survey_on_the_web(
    email_url: str, smtp_server: RecordingSmtp, temporal_client: Client, engine: Engine
) -> None:
    first, second = unique_email(), unique_email()
    with httpx.Client(base_url=email_url, timeout=60) as citizen:
        master = submit(citizen, first, "3号门的路灯坏了一周。")
        duplicate = submit(citizen, second, "The lamp at gate 3 is out.", "en")
        await temporal_client.get_workflow_handle(duplicate).execute_update(
            CaseWorkflow.merge, Merge("dispatcher-1", master)
        )
        await resolve_through(temporal_client, master, "路灯已于周一更换。")
        merged, resolved, survey_mail = await smtp_server.wait_for(second, 3)
        assert text_of(merged).strip() == (
            f"Case {duplicate} reports the same problem as case {master} and has been merged "
            "into it; you will receive its reply."
        )
        assert text_of(resolved).strip() == (
            f"Case {duplicate} has been resolved. Reply: 路灯已于周一更换。"
        )
        assert survey_mail["Subject"] == f"How was case {duplicate} handled?"

        link = survey_link_of(survey_mail)
        form = citizen.get(link)
        assert "Did the unit responsible contact you?" in form.text
        answer = {"csrf_token": csrf_of(form.text), "contacted": "1", "resolved": "2"}
        answered = citizen.post(link, data={**answer, "satisfaction": "2"})
        assert answered.status_code == 200
        assert f"Thank you for rating case {duplicate}." in answered.text

    for _ in range(600):
        found = [e for e in events(engine, master) if e.kind == "merged_survey_answered"]
        if found:
            break
        await asyncio.sleep(0.05)
    assert [e.payload for e in found] == [
        {
            "duplicate": duplicate,
            "contacted": "true",
            "resolved": "false",
            "satisfaction": "basically_satisfied",
        }
    ]
    row = case_row(engine, master)
    assert (row.status, row.satisfaction) == (CaseStatus.callback, None)
