"""A local HTTP server that answers like Telegram's Bot API, and a citizen to drive it.

The real aiogram bot talks to it through `TelegramAPIServer.from_base(url)`
(HOTLINE_TELEGRAM_API_BASE_URL): `getMe`, `sendMessage`, `editMessageText`,
`editMessageReplyMarkup`, `answerCallbackQuery`, `getFile` and file downloads, `getUpdates`
(serving queued updates to a polling bot), `setWebhook` and `deleteWebhook`. It records every
call, so a test asserts what Telegram would have received. `Citizen` builds the updates a
Telegram client would cause (texts, a shared location or contact, a photo, a button press).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from tests.utils.servers import serve

BOT_ID = 7000000001
TOKEN = f"{BOT_ID}:AAHotlineTestTokenForTheLocalBotApi0000"
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "12345", "username": "hotline12345_bot"}
# Telegram's own answer for a user who blocked the bot.
BLOCKED = {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}


@dataclass
class FakeTelegram:
    """What the bot sent, the updates waiting for a polling bot, the files it may download."""

    token: str = TOKEN
    url: str = ""
    calls: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _message_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1_000_000))

    def queue(self, update: dict[str, Any]) -> None:
        with self.lock:
            self.updates.append(update)

    def sent(self, method: str, chat_id: int | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [
                c
                for c in self.calls
                if c["method"] == method and (chat_id is None or c.get("chat_id") == chat_id)
            ]

    def texts_to(self, chat_id: int) -> list[str]:
        return [c["text"] for c in self.sent("sendMessage", chat_id)]

    def wait_for(self, check: Callable[[], Any], what: str, timeout: float = 120.0) -> Any:  # noqa: ANN401
        """Poll until `check()` is truthy; return its value (a wide bound for a busy machine)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"the bot never {what}; it sent: {self.calls[-10:]}")

    async def wait_async(self, check: Callable[[], Any], what: str, timeout: float = 120.0) -> Any:  # noqa: ANN401
        return await asyncio.to_thread(self.wait_for, check, what, timeout)

    def message_with_buttons(self, chat_id: int) -> dict[str, Any]:
        """The bot's latest message (sent or edited) to this chat that carries inline buttons."""
        with self.lock:
            for call in reversed(self.calls):
                markup = call.get("reply_markup")
                if call.get("chat_id") == chat_id and markup and "inline_keyboard" in markup:
                    return call
        raise AssertionError(f"no message with inline buttons to chat {chat_id}")

    def _next_message_id(self) -> int:
        return next(self._message_ids)


def _ok(result: Any) -> JSONResponse:  # noqa: ANN401
    return JSONResponse({"ok": True, "result": result})


def _error(status: int, description: str) -> JSONResponse:
    return JSONResponse(
        {"ok": False, "error_code": status, "description": description}, status_code=status
    )


def _params(form: dict[str, str]) -> dict[str, Any]:
    """aiogram sends every value as a form field, JSON-encoding the structured ones."""
    params: dict[str, Any] = {}
    for key, value in form.items():
        if key in {"chat_id", "message_id", "offset", "limit", "timeout"}:
            params[key] = int(value)
        elif key in {"reply_markup", "allowed_updates", "link_preview_options"}:
            params[key] = json.loads(value)
        else:
            params[key] = value
    return params


def build_app(state: FakeTelegram) -> FastAPI:
    app = FastAPI()

    def message(params: dict[str, Any], message_id: int | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "message_id": message_id or state._next_message_id(),
            "date": int(time.time()),
            "chat": {"id": params["chat_id"], "type": "private"},
            "from": BOT_USER,
            "text": params.get("text", ""),
        }
        if params.get("reply_markup") and "inline_keyboard" in params["reply_markup"]:
            body["reply_markup"] = params["reply_markup"]
        return body

    @app.post("/bot{token}/{method}")
    async def call(token: str, method: str, request: Request) -> Response:
        if token != state.token:
            return _error(401, "Unauthorized")
        form = await request.form()
        params = _params({k: str(v) for k, v in form.items()})
        name = method.lower()
        if name == "getupdates":
            return _ok(await _updates(state, params))
        with state.lock:
            state.calls.append({"method": method, **params})
        if params.get("chat_id") in state.blocked:
            return JSONResponse(BLOCKED, status_code=403)
        if name == "getme":
            return _ok(BOT_USER)
        if name == "sendmessage":
            sent = message(params)
            with state.lock:
                state.calls[-1]["message_id"] = sent["message_id"]
            return _ok(sent)
        if name in {"editmessagetext", "editmessagereplymarkup"}:
            return _ok(message(params, params["message_id"]))
        if name in {"answercallbackquery", "setwebhook", "deletewebhook"}:
            return _ok(True)
        if name == "getfile":
            file_id = params["file_id"]
            if file_id not in state.files:
                return _error(400, "Bad Request: invalid file_id")
            return _ok(
                {
                    "file_id": file_id,
                    "file_unique_id": file_id[-8:],
                    "file_size": len(state.files[file_id]),
                    "file_path": f"photos/{file_id}.jpg",
                }
            )
        return _error(404, "Not Found: method not found")

    @app.get("/file/bot{token}/photos/{name}")
    async def download(token: str, name: str) -> Response:
        if token != state.token:
            return _error(401, "Unauthorized")
        data = state.files.get(name.removesuffix(".jpg"))
        if data is None:
            return _error(404, "Not Found")
        return Response(data, media_type="image/jpeg")

    return app


async def _updates(state: FakeTelegram, params: dict[str, Any]) -> list[dict[str, Any]]:
    """getUpdates: confirm those below `offset`, then wait (briefly) for new ones."""
    offset = params.get("offset", 0)
    deadline = time.monotonic() + min(params.get("timeout", 0), 1)
    while True:
        with state.lock:
            state.updates = [u for u in state.updates if u["update_id"] >= offset]
            waiting = list(state.updates[: params.get("limit", 100)])
        if waiting or time.monotonic() >= deadline:
            return waiting
        await asyncio.sleep(0.05)


@contextmanager
def fake_telegram() -> Iterator[FakeTelegram]:
    state = FakeTelegram()
    with serve(build_app(state)) as url:
        state.url = url
        yield state


_update_ids = itertools.count(int(time.time()) % 10**6 * 1000)


@dataclass
class Citizen:
    """A Telegram user in a private chat with the bot: each method returns one update."""

    chat_id: int = field(default_factory=lambda: 10**9 + uuid.uuid4().int % 10**9)
    language_code: str = "zh-hans"
    first_name: str = "Li"
    _message_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def user(self) -> dict[str, Any]:
        return {
            "id": self.chat_id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": self.language_code,
        }

    def _message(self, **content: Any) -> dict[str, Any]:  # noqa: ANN401
        return {
            "update_id": next(_update_ids),
            "message": {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": self.chat_id, "type": "private", "first_name": self.first_name},
                "from": self.user,
                **content,
            },
        }

    def says(self, text: str) -> dict[str, Any]:
        entities = []
        if text.startswith("/"):
            command = text.split()[0]
            entities = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._message(text=text, **({"entities": entities} if entities else {}))

    def shares_location(self, latitude: float, longitude: float) -> dict[str, Any]:
        return self._message(location={"latitude": latitude, "longitude": longitude})

    def shares_contact(self, phone: str, *, user_id: int | None = None) -> dict[str, Any]:
        """A contact card: the "Share my phone number" button sends the user's own (their
        id); a forwarded or picked contact carries someone else's id, or none."""
        contact: dict[str, Any] = {"phone_number": phone, "first_name": self.first_name}
        owner = self.chat_id if user_id is None else user_id
        if owner:
            contact["user_id"] = owner
        return self._message(contact=contact)

    def sends_photo(self, telegram: FakeTelegram, data: bytes) -> dict[str, Any]:
        file_id = f"ph{uuid.uuid4().hex}"
        telegram.files[file_id] = data
        sizes = [
            {"file_id": f"{file_id}s", "file_unique_id": "s", "width": 90, "height": 90},
            {
                "file_id": file_id,
                "file_unique_id": file_id[-8:],
                "width": 1280,
                "height": 960,
                "file_size": len(data),
            },
        ]
        return self._message(photo=sizes)

    def presses(self, bot_message: dict[str, Any], label: str) -> dict[str, Any]:
        """Press the button labelled `label` on a message the bot sent or edited."""
        buttons = [b for row in bot_message["reply_markup"]["inline_keyboard"] for b in row]
        data = next((b["callback_data"] for b in buttons if b["text"] == label), None)
        if data is None:
            raise AssertionError(f"no button {label!r} in {[b['text'] for b in buttons]}")
        return {
            "update_id": next(_update_ids),
            "callback_query": {
                "id": uuid.uuid4().hex,
                "from": self.user,
                "chat_instance": str(self.chat_id),
                "message": {
                    "message_id": bot_message["message_id"],
                    "date": int(time.time()),
                    "chat": {"id": self.chat_id, "type": "private"},
                    "from": BOT_USER,
                    "text": bot_message.get("text", ""),
                    "reply_markup": bot_message["reply_markup"],
                },
                "data": data,
            },
        }
