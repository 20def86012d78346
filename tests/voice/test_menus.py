"""The phone menus never leave the caller at a dead end: a status goes back to the main menu,
3 reads the caller's own latest cases, 4 withdraws their latest open case, 0 without an
operator offers to leave a message."""

from __future__ import annotations

import asyncio

from sqlalchemy.engine import Engine
from temporalio.client import Client

from api.main import create_app
from intake.flows import start_case_workflow
from intake.schemas import Contact
from intake.service import accept_intake
from models import Case
from models.enums import CaseStatus, Channel, IdentityKind, Language
from tests.utils.cases import case_row
from tests.utils.factories import make_intake, unique_phone
from tests.utils.servers import serve
from tests.utils.speech import new_call_sid
from tests.voice.conftest import VoiceApi, gather_action, next_url, spoken
from tests.voice.test_citizen_language import MENU_EN, MENU_ZH
from workflows.case import CaseWorkflow
from workflows.types import Dispatch, Merge

BACK_ZH = [MENU_ZH, "For English, press 2."]
BACK_EN = [MENU_EN, "中文服务请按2。"]


def _case_of(api: VoiceApi, engine: Engine, phone: str, language: Language = Language.zh) -> Case:
    """A case the phone reported itself (a signed SMS or call proved the number)."""
    intake = make_intake(channel=Channel.voice, contact=Contact(phone=phone), language=language)
    return accept_intake(
        engine=engine, intake=intake, settings=api.settings, proved=IdentityKind.phone
    ).case


def _digits(case: Case, separator: str) -> str:
    return separator.join(case.number.replace("-", ""))


def test_a_status_goes_back_to_the_main_menu(voice_api: VoiceApi, engine: Engine) -> None:
    phone = unique_phone()
    case = _case_of(voice_api, engine, phone)
    call = {"CallSid": new_call_sid(), "From": phone}
    keyed = {**call, "Digits": case.number.replace("-", "") + "#"}
    told = voice_api.post("/twilio/voice/status?lang=zh", keyed)
    assert spoken(told.text) == [f"案件{_digits(case, '，')}目前的状态是：已受理。", *BACK_ZH]
    assert gather_action(told.text) == "/twilio/voice/menu?lang=zh"
    assert "<Hangup" not in told.text


def test_menu_3_reads_the_callers_latest_three_cases_then_the_menu(
    voice_api: VoiceApi, engine: Engine
) -> None:
    phone = unique_phone()
    cases = [_case_of(voice_api, engine, phone, Language.en) for _ in range(4)]
    call = {"CallSid": new_call_sid(), "From": phone}
    mine = voice_api.post("/twilio/voice/menu?lang=en", {**call, "Digits": "3"})
    newest = " ".join(f"Case {_digits(c, ', ')}: received." for c in reversed(cases[1:]))
    assert spoken(mine.text) == [
        f"Your latest cases: {newest}",
        "To check a case by its number, enter the fourteen digits, then press hash.",
    ]
    assert gather_action(mine.text) == "/twilio/voice/status?lang=en"
    assert next_url(mine.text) == "/twilio/voice/main?lang=en"  # nothing keyed: the menu
    menu = voice_api.post(next_url(mine.text), call)
    assert spoken(menu.text) == BACK_EN

    stranger = {"CallSid": new_call_sid(), "From": unique_phone()}
    none = voice_api.post("/twilio/voice/menu?lang=zh", {**stranger, "Digits": "3"})
    assert spoken(none.text) == [
        "没有查到本号码反映的案件。",
        "按案件编号查询，请输入十四位数字，以井号键结束。",
    ]


def test_0_without_an_operator_offers_to_leave_a_message(voice_api: VoiceApi) -> None:
    settings = voice_api.settings.model_copy(update={"voice_operator_number": ""})
    with serve(create_app(settings)) as url:
        api = VoiceApi(url, settings)
        call = {"CallSid": new_call_sid(), "From": unique_phone()}
        zh = api.post("/twilio/voice/menu?lang=zh", {**call, "Digits": "0"})
        assert spoken(zh.text) == [
            "现在没有人工坐席可以接听。留言请按1，或请不要挂机；返回主菜单请按星号键。"
        ]
        assert gather_action(zh.text) == next_url(zh.text) == "/twilio/voice/leave-message?lang=zh"
        message = api.post("/twilio/voice/leave-message?lang=zh", {**call, "Digits": "1"})
        assert "<Record" in message.text
        assert spoken(message.text) == ["请在提示音后留言，说明问题和地点，说完请按井号键。"]
        silent = api.post("/twilio/voice/leave-message?lang=zh", call)
        assert "<Record" in silent.text  # staying on the line leaves a message too
        back = api.post("/twilio/voice/leave-message?lang=zh", {**call, "Digits": "*"})
        assert spoken(back.text) == BACK_ZH

        en = api.post("/twilio/voice/menu?lang=en", {**call, "Digits": "0"})
        assert spoken(en.text) == [
            "No operator can take your call right now. To leave a message, press 1, or stay "
            "on the line. To return to the main menu, press star."
        ]


async def _until_status(engine: Engine, number: str, status: CaseStatus) -> None:
    for _ in range(400):
        if case_row(engine, number).status == status:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"case {number} never became {status}")


async def test_menu_4_withdraws_the_callers_latest_open_case_after_confirming(
    voice_api: VoiceApi, temporal_client: Client, engine: Engine
) -> None:
    phone = unique_phone()
    case = _case_of(voice_api, engine, phone, Language.en)
    call = {"CallSid": new_call_sid(), "From": phone}
    ask = voice_api.post("/twilio/voice/menu?lang=en", {**call, "Digits": "4"})
    assert spoken(ask.text) == [
        f"Your latest open case is {_digits(case, ', ')}, now: received. "
        "To withdraw it, press 1. To keep it, press 2."
    ]
    assert gather_action(ask.text) == f"/twilio/voice/withdraw?case={case.number}&lang=en"
    assert next_url(ask.text) == "/twilio/voice/main?lang=en"  # nothing pressed keeps it

    kept = voice_api.post(gather_action(ask.text), {**call, "Digits": "2"})
    assert spoken(kept.text) == [f"Case {_digits(case, ', ')} stays open.", *BACK_EN]
    assert case_row(engine, case.number).status == CaseStatus.accepted

    await start_case_workflow(client=temporal_client, settings=voice_api.settings, case=case)
    done = voice_api.post(gather_action(ask.text), {**call, "Digits": "1"})
    assert spoken(done.text) == [
        f"Case {_digits(case, ', ')} is withdrawn. It will not be handled further.",
        *BACK_EN,
    ]
    await _until_status(engine, case.number, CaseStatus.withdrawn)

    nothing_left = voice_api.post("/twilio/voice/menu?lang=zh", {**call, "Digits": "4"})
    assert spoken(nothing_left.text) == ["您没有可以撤回的案件。", *BACK_ZH]
    again = voice_api.post(gather_action(ask.text), {**call, "Digits": "1"})
    assert spoken(again.text) == [
        f"Case {_digits(case, ', ')} is now: withdrawn. It can no longer be withdrawn.",
        *BACK_EN,
    ]


async def test_a_caller_cannot_withdraw_a_case_they_do_not_own(
    voice_api: VoiceApi, temporal_client: Client, engine: Engine
) -> None:
    case = _case_of(voice_api, engine, unique_phone())
    await start_case_workflow(client=temporal_client, settings=voice_api.settings, case=case)
    path = f"/twilio/voice/withdraw?case={case.number}&lang=zh"
    for caller in (unique_phone(), "anonymous"):  # another number; a withheld one
        call = {"CallSid": new_call_sid(), "From": caller, "Digits": "1"}
        refused = voice_api.post(path, call)
        assert spoken(refused.text) == ["没有查到您可以撤回的这件案件。", *BACK_ZH]
        stranger = voice_api.post("/twilio/voice/menu?lang=zh", {**call, "Digits": "4"})
        assert spoken(stranger.text) == ["您没有可以撤回的案件。", *BACK_ZH]
    await asyncio.sleep(0.5)
    assert case_row(engine, case.number).status != CaseStatus.withdrawn


async def test_a_merged_case_is_read_out_with_the_case_it_was_merged_into(
    voice_api: VoiceApi, temporal_client: Client, engine: Engine
) -> None:
    phone = unique_phone()
    master = _case_of(voice_api, engine, unique_phone())
    duplicate = _case_of(voice_api, engine, phone)
    for case in (master, duplicate):
        await start_case_workflow(client=temporal_client, settings=voice_api.settings, case=case)
    await temporal_client.get_workflow_handle(master.number).execute_update(
        CaseWorkflow.dispatch, Dispatch("dispatcher-1", "110105")
    )
    await temporal_client.get_workflow_handle(duplicate.number).execute_update(
        CaseWorkflow.merge, Merge("dispatcher-1", master.number)
    )
    await _until_status(engine, duplicate.number, CaseStatus.merged)
    call = {"CallSid": new_call_sid(), "From": phone}

    keyed = {**call, "Digits": duplicate.number.replace("-", "") + "#"}
    told = voice_api.post("/twilio/voice/status?lang=zh", keyed)
    dup_zh, master_zh = _digits(duplicate, "，"), _digits(master, "，")
    assert spoken(told.text) == [
        f"案件{dup_zh}已并入案件{master_zh}。案件{master_zh}目前的状态是：已派单。",
        *BACK_ZH,
    ]
    told = voice_api.post("/twilio/voice/status?lang=en", keyed)
    dup_en, master_en = _digits(duplicate, ", "), _digits(master, ", ")
    assert spoken(told.text) == [
        f"Case {dup_en} was merged into case {master_en}. "
        f"Case {master_en} is now: sent to the unit responsible.",
        *BACK_EN,
    ]

    mine = voice_api.post("/twilio/voice/menu?lang=en", {**call, "Digits": "3"})
    assert spoken(mine.text)[0] == (
        f"Your latest cases: Case {dup_en}: merged into case {master_en}, "
        "now: sent to the unit responsible."
    )
    mine = voice_api.post("/twilio/voice/menu?lang=zh", {**call, "Digits": "3"})
    assert spoken(mine.text)[0] == (
        f"您最近的案件： 案件{dup_zh}，已并入案件{master_zh}，该案件已派单。"
    )
