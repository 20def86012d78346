"""`hotline chat poll` and `hotline chat set-webhook` as a user runs them, against the local
Bot API server."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import uuid
from pathlib import Path

from sqlalchemy.engine import Engine

from core.settings import Settings
from tests.utils.cases import case_row
from tests.utils.processes import ROOT, hotline_env, stop
from tests.utils.telegram_api import Citizen, FakeTelegram
from workflows.case import CaseWorkflow

NUMBER = re.compile(r"\d{8}-\d{6}")


def _env(settings: Settings) -> dict[str, str]:
    return {
        **hotline_env(settings),
        "HOTLINE_TELEGRAM_BOT_TOKEN": settings.telegram_bot_token,
        "HOTLINE_TELEGRAM_API_BASE_URL": settings.telegram_api_base_url,
        "HOTLINE_TELEGRAM_WEBHOOK_SECRET": settings.telegram_webhook_secret,
        "HOTLINE_PUBLIC_BASE_URL": "https://hotline.example.org",
    }


def _hotline_chat(settings: Settings, *args: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as handle:
        return subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "cli.main", "chat", *args],
            cwd=ROOT,
            env=_env(settings),
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


async def test_long_polling_takes_a_request_through_to_a_case(
    chat_settings: Settings,
    chat_worker: None,
    telegram: FakeTelegram,
    engine: Engine,
    temporal_client: object,
    var_dir: Path,
) -> None:
    log = var_dir / f"chat-poll-{uuid.uuid4().hex[:6]}.log"
    poller = _hotline_chat(chat_settings, "poll", log=log)
    citizen = Citizen(language_code="en")
    try:
        described = citizen.says("The street lamp at Futong East Street has been out for a week")
        telegram.queue(described)
        telegram.queue(described)  # served twice, as after a lost getUpdates answer
        await telegram.wait_async(
            lambda: any("Where is it?" in t for t in telegram.texts_to(citizen.chat_id)),
            "asked where",
        )
        telegram.queue(citizen.says("Futong East Street 12, Wangjing, Chaoyang"))
        prompt = await telegram.wait_async(
            lambda: _buttons(telegram, citizen, "No photo"), "offered to skip the photo"
        )
        telegram.queue(citizen.presses(prompt, "No photo"))
        summary = await telegram.wait_async(
            lambda: _buttons(telegram, citizen, "Send"), "asked to confirm"
        )
        assert "Place: Futong East Street 12, Wangjing, Chaoyang" in summary["text"]
        telegram.queue(citizen.presses(summary, "Send"))
        reply = await telegram.wait_async(
            lambda: [t for t in telegram.texts_to(citizen.chat_id) if "Case number" in t],
            "gave a case number",
        )
    finally:
        code = await asyncio.to_thread(stop, poller)
    assert code == 0, log.read_text(errors="replace")
    match = NUMBER.search(reply[0])
    assert match is not None
    case = case_row(engine, match.group())
    assert case.language == "en"
    assert case.address == "Futong East Street 12, Wangjing, Chaoyang"
    assert len([t for t in telegram.texts_to(citizen.chat_id) if "Where is it?" in t]) == 1
    handle = temporal_client.get_workflow_handle_for(CaseWorkflow.run, case.number)  # type: ignore[attr-defined]
    assert (await handle.describe()).task_queue == chat_settings.temporal_task_queue


def _buttons(telegram: FakeTelegram, citizen: Citizen, label: str) -> dict | None:
    try:
        message = telegram.message_with_buttons(citizen.chat_id)
    except AssertionError:
        return None
    labels = [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]
    return message if label in labels else None


def test_set_webhook_points_telegram_at_the_api_with_the_secret(
    chat_settings: Settings, telegram: FakeTelegram, var_dir: Path
) -> None:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "cli.main", "chat", "set-webhook"],
        cwd=ROOT,
        env=_env(chat_settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    call = telegram.sent("setWebhook")[-1]
    assert call["url"] == "https://hotline.example.org/telegram/webhook"
    assert call["secret_token"] == chat_settings.telegram_webhook_secret
    assert "webhook set: https://hotline.example.org/telegram/webhook" in done.stdout


def test_poll_without_a_token_says_what_to_set(settings: Settings) -> None:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "cli.main", "chat", "poll"],
        cwd=ROOT,
        env=hotline_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "HOTLINE_TELEGRAM_BOT_TOKEN" in done.stdout
