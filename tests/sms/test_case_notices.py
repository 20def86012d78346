"""The citizen hears every change of their case by SMS, in their language: a merged case names
its master and gets the master's reply and survey (and the answer counts, beside the master
citizen's); a return and re-dispatch says the case moved; an approved extension and a reopen
give the new deadline in local time; every reply stays on the case."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy.engine import Engine
from temporalio.client import Client

from channels.messages import render
from core.local_time import local_time
from models.enums import CaseStatus, Language, Satisfaction
from models.event import CaseEvent
from tests.sms.phone import Phone, wait_for_sms
from tests.utils.cases import case_row, events, wait_for_notification, wait_for_status
from tests.utils.twilio_api import FakeTwilio
from workflows.case import CaseWorkflow
from workflows.types import (
    Dispatch,
    ExtensionDecision,
    ExtensionRequest,
    Merge,
    Redispatch,
    Resolve,
    ReturnCase,
    UnitAction,
)

CHAOYANG, HAIDIAN = "110105", "110108"
NUMBER = re.compile(r"\d{8}-\d{6,}")
LINK = re.compile(r"\n(也可以在网页上回答：|Or answer on the web: )https://\S+/survey/\S+$")

# What each language's citizen writes, and the words the hotline answers with.
WORDS = {
    Language.zh: {
        "report": "望京西园三区的路灯坏了。",
        "status": "CX",
        "unhappy": "是 否 不满意",
        "happy": "是 是 满意",
        "merged": (
            "您的诉求 {d} 与诉求 {m} 反映的是同一问题，已并入 {m} 一并办理，办理结果将告知您。"
        ),
        "merged_status": "案件 {d} 已并入案件 {m} 办理。案件 {m}：已派单。",
        "merged_closed": "案件 {d} 已并入案件 {m} 办理。案件 {m}：已结案。答复：{reply}",
        "resolved": "您的诉求 {d} 已办结。答复：{reply}",
        "thanks": "感谢您对案件 {d} 的评价。",
        "dispatched": "您的诉求 {d} 已派至承办单位处理。",
        "moved_haidian": "您的诉求 {d} 已转由海淀区办理。",
        "moved_chaoyang": "您的诉求 {d} 已转由朝阳区办理。",
        "extended": "您的诉求 {d} 办理期限已延长至 {due}。",
        "reopened": "您的诉求 {d} 已重新办理，承办单位须在 {due} 前办结。",
    },
    Language.en: {
        "report": "EN The streetlight on Wangjing West Road is broken.",
        "status": "STATUS",
        "unhappy": "yes no dissatisfied",
        "happy": "yes yes satisfied",
        "merged": (
            "Case {d} reports the same problem as case {m} and has been merged into it; "
            "you will receive its reply."
        ),
        "merged_status": (
            "Case {d} was merged into case {m}. Case {m}: sent to the responsible unit."
        ),
        "merged_closed": "Case {d} was merged into case {m}. Case {m}: closed. Reply: {reply}",
        "resolved": "Case {d} has been resolved. Reply: {reply}",
        "thanks": "Thank you for rating case {d}.",
        "dispatched": "Case {d} has been sent to the unit responsible.",
        "moved_haidian": "Case {d} has been moved to another unit: Haidian District will handle "
        "it now.",
        "moved_chaoyang": "Case {d} has been moved to another unit: Chaoyang District will "
        "handle it now.",
        "extended": "The handling time of case {d} has been extended: it is now due by {due}.",
        "reopened": (
            "Case {d} has been reopened and goes back to the unit, which must resolve it by {due}."
        ),
    },
}
LANGUAGES = [pytest.param(Language.zh, id="zh"), pytest.param(Language.en, id="en")]


def _said(language: Language, key: str, **params: str) -> str:
    return WORDS[language][key].format(**params)


async def _open_case(phone: Phone, text: str) -> str:
    reply = await phone.text(text)
    assert reply is not None
    found = NUMBER.search(reply)
    assert found, reply
    return found.group(0)


async def _to_resolved(client: Client, number: str, unit: str, reply: str) -> None:
    handle = client.get_workflow_handle(number)
    await handle.execute_update(CaseWorkflow.acknowledge, UnitAction("handler-1", unit))
    await handle.execute_update(CaseWorkflow.respond, UnitAction("handler-1", unit))
    await handle.execute_update(CaseWorkflow.resolve, Resolve("handler-1", unit, reply))


async def _wait_for_events(engine: Engine, number: str, kind: str) -> list[CaseEvent]:
    for _ in range(600):
        found = [e for e in events(engine, number) if e.kind == kind]
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"case {number} never recorded '{kind}'")


def _survey_text(language: Language, number: str, sent: str) -> str:
    """The survey as sent, its web link checked and cut off (the token differs each time)."""
    assert LINK.search(sent), sent
    body = LINK.sub("", sent)
    assert body == render("survey", language, {"number": number}), body
    return body


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_merged_citizen_is_told_the_master_gets_its_reply_and_survey_and_answers(
    language: Language, sms_url: str, twilio: FakeTwilio, temporal_client: Client, engine: Engine
) -> None:
    first, second = Phone(sms_url), Phone(sms_url)
    master = await _open_case(first, WORDS[Language.zh]["report"])
    duplicate = await _open_case(second, _said(language, "report"))
    handle = temporal_client.get_workflow_handle(master)
    await handle.execute_update(CaseWorkflow.dispatch, Dispatch("dispatcher-1", CHAOYANG))
    await temporal_client.get_workflow_handle(duplicate).execute_update(
        CaseWorkflow.merge, Merge("dispatcher-1", master)
    )
    [merged] = await wait_for_sms(twilio, second.number, 1)
    assert merged["Body"] == _said(language, "merged", d=duplicate, m=master)
    status = f"{_said(language, 'status')} {duplicate}"
    assert await second.text(status) == _said(language, "merged_status", d=duplicate, m=master)

    reply = "路灯已更换。"
    await _to_resolved(temporal_client, master, CHAOYANG, reply)
    texts = [m["Body"] for m in await wait_for_sms(twilio, second.number, 3)]
    assert texts[1] == _said(language, "resolved", d=duplicate, reply=reply)
    _survey_text(language, duplicate, texts[2])
    # The master's citizen is asked as before, under their own number.
    master_texts = [m["Body"] for m in await wait_for_sms(twilio, first.number, 3)]
    assert master_texts[1] == f"您的诉求 {master} 已办结。答复：{reply}"
    _survey_text(Language.zh, master, master_texts[2])

    # The merged citizen is dissatisfied: recorded on the master, which is not reopened by it.
    thanks = await second.text(_said(language, "unhappy"))
    assert thanks == _said(language, "thanks", d=duplicate)
    [answer] = await _wait_for_events(engine, master, "merged_survey_answered")
    assert answer.payload == {
        "duplicate": duplicate,
        "contacted": "true",
        "resolved": "false",
        "satisfaction": "dissatisfied",
    }
    assert answer.actor == "citizen"
    assert case_row(engine, master).satisfaction is None
    # A second answer from the merged citizen in the same round counts no more.
    assert await second.text(_said(language, "happy")) == _said(language, "thanks", d=duplicate)

    # The master's own citizen decides: satisfied, the master closes (no reopen).
    assert await first.text("是 是 满意") == f"感谢您对案件 {master} 的评价。"
    await wait_for_status(engine, master, CaseStatus.closed)
    row = case_row(engine, master)
    assert (row.satisfaction, row.reopen_count) == (Satisfaction.satisfied, 0)
    kinds = [e.kind for e in events(engine, master)]
    assert kinds.count("merged_survey_answered") == 1
    assert kinds.count("survey_answered") == 1
    assert await second.text(status) == _said(
        language, "merged_closed", d=duplicate, m=master, reply=reply
    )
    assert len(twilio.messages_to(second.number)) == 3  # merged, reply, survey: nothing else


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_move_an_extension_and_a_reopen_are_each_told_with_the_new_deadline(
    language: Language, sms_url: str, twilio: FakeTwilio, temporal_client: Client, engine: Engine
) -> None:
    phone = Phone(sms_url)
    number = await _open_case(phone, _said(language, "report"))
    handle = temporal_client.get_workflow_handle(number)
    await handle.execute_update(CaseWorkflow.dispatch, Dispatch("dispatcher-1", CHAOYANG))
    await handle.execute_update(
        CaseWorkflow.return_case, ReturnCase("handler-1", CHAOYANG, "不属于本单位")
    )
    await handle.execute_update(CaseWorkflow.dispatch, Dispatch("dispatcher-1", HAIDIAN))
    texts = [m["Body"] for m in await wait_for_sms(twilio, phone.number, 2)]
    assert texts == [
        _said(language, "dispatched", d=number),
        _said(language, "moved_haidian", d=number),
    ]

    await handle.execute_update(CaseWorkflow.acknowledge, UnitAction("handler-2", HAIDIAN))
    await handle.execute_update(CaseWorkflow.respond, UnitAction("handler-2", HAIDIAN))
    before = case_row(engine, number).resolve_due_at
    await handle.execute_update(
        CaseWorkflow.request_extension, ExtensionRequest("handler-2", HAIDIAN, 3, "需要采购配件")
    )
    await handle.execute_update(CaseWorkflow.decide_extension, ExtensionDecision("boss", True))
    extended = case_row(engine, number).resolve_due_at
    assert before is not None and extended is not None and extended > before
    [_, _, notice] = [m["Body"] for m in await wait_for_sms(twilio, phone.number, 3)]
    assert notice == _said(language, "extended", d=number, due=local_time(extended))

    first_reply, second_reply = "路灯已更换。", "已更换整套灯具并复查。"
    await handle.execute_update(CaseWorkflow.resolve, Resolve("handler-2", HAIDIAN, first_reply))
    await wait_for_notification(engine, number, "survey")
    await wait_for_sms(twilio, phone.number, 5)
    assert await phone.text(_said(language, "unhappy")) == _said(language, "thanks", d=number)
    await wait_for_status(engine, number, CaseStatus.reopened)
    due = case_row(engine, number).resolve_due_at
    texts = [m["Body"] for m in await wait_for_sms(twilio, phone.number, 6)]
    assert texts[5] == _said(language, "reopened", d=number, due=local_time(due))

    # 改派 by a supervisor: moved again, in other words than the first dispatch.
    await handle.execute_update(
        CaseWorkflow.redispatch, Redispatch("boss", CHAOYANG, "属地管理，改由朝阳区办理")
    )
    texts = [m["Body"] for m in await wait_for_sms(twilio, phone.number, 7)]
    assert texts[6] == _said(language, "moved_chaoyang", d=number)
    assert texts[6] != texts[0]

    # Replies are history: the second resolve keeps the first reply on its own event.
    await _to_resolved(temporal_client, number, CHAOYANG, second_reply)
    resolved = [e.payload["reply"] for e in events(engine, number) if e.kind == "resolved"]
    assert resolved == [first_reply, second_reply]
    assert case_row(engine, number).reply == second_reply
