"""受理 by chat: describe the problem, share a location or type an address, an optional photo,
confirm; then the case is accepted through `intake/` and its workflow started.

A request starts with /new, or with a text the conversation router (`conversation.py`) finds is
not about an open case.

The draft lives in the FSM storage, keyed by the message that started it; the chat and that
message id become the case's `intake_key`: a confirm pressed twice or re-sent by Telegram
gives one case.
"""

from __future__ import annotations

import asyncio
from pathlib import PurePosixPath
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from channels.chat.callbacks import IntakeAction, IntakeStep
from channels.chat.deps import ChatDeps
from channels.chat.texts import add_details_keyboard, intake_keyboard, location_keyboard
from core.db import session_scope
from core.i18n import N_, language_of
from core.settings import Settings
from intake.attachments import store_attachment
from intake.errors import IntakeRejected
from intake.flows import start_case_workflow
from intake.schemas import Contact, Intake
from intake.service import Accepted, accept_intake
from models.enums import AttachmentKind, Channel, IdentityKind


class IntakeForm(StatesGroup):
    description = State()
    location = State()
    photo = State()
    confirm = State()


# ---- cancel first, in any state --------------------------------------------------------


async def cancel(message: Message, state: FSMContext) -> None:
    await _drop_draft(state)
    await message.answer(_("Request cancelled."), reply_markup=ReplyKeyboardRemove())


async def cancel_pressed(
    query: CallbackQuery, callback_data: IntakeStep, state: FSMContext
) -> None:
    if await _draft_of(state, callback_data.key) is not None:
        await _drop_draft(state)
    await query.answer(_("Request cancelled."))
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)


# ---- describe ----------------------------------------------------------------------------


async def new_request(message: Message, state: FSMContext) -> None:
    await _drop_draft(state)
    await state.set_state(IntakeForm.description)
    await message.answer(_("Please describe the problem in one message."))


async def described(message: Message, state: FSMContext, hotline: ChatDeps) -> None:
    await start_request(message, state, hotline, (message.text or "").strip())


async def start_request(message: Message, state: FSMContext, hotline: ChatDeps, text: str) -> None:
    """`text` is the description of a new request; ask where it is."""
    limit = hotline.settings.max_description_chars
    if len(text) > limit:
        await message.answer(
            _("That is {count} characters; please keep it under {limit}.").format(
                count=len(text), limit=limit
            )
        )
        return
    draft = {"key": str(message.message_id), "description": text}
    await state.update_data(draft=draft)
    await state.set_state(IntakeForm.location)
    await message.answer(
        _("Where is it? Share your location, or type the address."),
        reply_markup=location_keyboard(_),
    )


# ---- where -------------------------------------------------------------------------------


async def located(message: Message, state: FSMContext) -> None:
    assert message.location is not None
    await _update_draft(
        state, latitude=message.location.latitude, longitude=message.location.longitude
    )
    await _ask_photo(message, state)


async def address_typed(message: Message, state: FSMContext) -> None:
    address = (message.text or "").strip()
    if len(address) > 500:
        await message.answer(_("Please give a shorter address (at most 500 characters)."))
        return
    await _update_draft(state, address=address)
    await _ask_photo(message, state)


async def location_fallback(message: Message) -> None:
    await message.answer(
        _("Please share your location with the button, or type the address."),
        reply_markup=location_keyboard(_),
    )


# ---- photo (optional) --------------------------------------------------------------------


async def photo_sent(message: Message, state: FSMContext, hotline: ChatDeps) -> None:
    assert message.photo
    largest = message.photo[-1]
    if largest.file_size and largest.file_size > hotline.settings.max_attachment_bytes:
        await message.answer(_("That photo is too large; please send a smaller one."))
        return
    await _update_draft(state, photo=largest.file_id)
    await _ask_confirm(message, state)


async def photo_skipped(query: CallbackQuery, callback_data: IntakeStep, state: FSMContext) -> None:
    await query.answer()
    if await _draft_of(state, callback_data.key) is None or not isinstance(query.message, Message):
        return
    await query.message.edit_reply_markup(reply_markup=None)
    await _ask_confirm(query.message, state)


async def photo_fallback(message: Message, state: FSMContext) -> None:
    draft = await _draft_of(state)
    key = draft["key"] if draft else ""
    await message.answer(
        _("Send a photo of the problem, or press “No photo”."),
        reply_markup=intake_keyboard(_, key, IntakeAction.skip_photo),
    )


# ---- confirm -----------------------------------------------------------------------------


async def confirmed(
    query: CallbackQuery,
    callback_data: IntakeStep,
    state: FSMContext,
    hotline: ChatDeps,
    bot: Bot,
    i18n: I18n,
) -> None:
    draft = await _draft_of(state, callback_data.key)
    message = query.message
    if draft is None or not isinstance(message, Message):
        await query.answer(_("This request was already sent or cancelled."))
        return
    await query.answer()
    user = query.from_user
    intake = Intake(
        channel=Channel.chat,
        description=draft["description"],
        language=language_of(i18n.current_locale),
        address=draft.get("address"),
        latitude=draft.get("latitude"),
        longitude=draft.get("longitude"),
        contact=Contact(telegram_chat_id=str(message.chat.id), name=user.full_name[:120]),
        intake_key=f"tg:{message.chat.id}:{draft['key']}",
    )
    accepted = await asyncio.to_thread(
        accept_intake,
        engine=hotline.engine,
        intake=intake,
        settings=hotline.settings,
        proved=IdentityKind.telegram,  # the chat of an update Telegram delivered with our secret
    )
    if draft.get("photo"):
        data, name = await _download(bot, draft["photo"], hotline.settings)
        await asyncio.to_thread(_attach_photo, hotline, accepted, data, name)
    await start_case_workflow(
        client=await hotline.temporal(), settings=hotline.settings, case=accepted.case
    )
    await _drop_draft(state)
    await message.edit_reply_markup(reply_markup=None)
    await message.answer(
        _("Your request has been received. Case number {number}.").format(
            number=accepted.case.number
        )
        + "\n"
        + _("Ask /status at any time; we will message you here when it moves."),
        reply_markup=add_details_keyboard(_, accepted.case.number),
    )


async def confirm_fallback(message: Message, state: FSMContext) -> None:
    await _ask_confirm(message, state)


# ---- outside any conversation ------------------------------------------------------------


async def not_understood(message: Message) -> None:
    await message.answer(_("To start a request, describe the problem in a message. /help"))


# ---- helpers -----------------------------------------------------------------------------


async def _ask_photo(message: Message, state: FSMContext) -> None:
    await state.set_state(IntakeForm.photo)
    draft = await _draft_of(state)
    assert draft is not None
    await message.answer(
        _("Thank you. You may send a photo of the problem, or press “No photo”."),
        reply_markup=ReplyKeyboardRemove(),
    )
    await message.answer(
        _("Photo (optional):"),
        reply_markup=intake_keyboard(_, draft["key"], IntakeAction.skip_photo),
    )


async def _ask_confirm(message: Message, state: FSMContext) -> None:
    await state.set_state(IntakeForm.confirm)
    draft = await _draft_of(state)
    assert draft is not None
    if draft.get("address"):
        place = draft["address"]
    elif draft.get("latitude") is not None:
        place = _("shared location ({latitude:.5f}, {longitude:.5f})").format(
            latitude=draft["latitude"], longitude=draft["longitude"]
        )
    else:
        place = "-"
    summary = _(
        "Please check your request:\nProblem: {description}\nPlace: {place}\nPhoto: {photo}"
    )
    photo = _("yes") if draft.get("photo") else _("no")
    await message.answer(
        summary.format(description=draft["description"], place=place, photo=photo),
        reply_markup=intake_keyboard(_, draft["key"], IntakeAction.confirm, IntakeAction.cancel),
    )


async def _draft_of(state: FSMContext, key: str | None = None) -> dict[str, Any] | None:
    draft: dict[str, Any] | None = (await state.get_data()).get("draft")
    if draft is None or (key is not None and draft.get("key") != key):
        return None
    return draft


async def _update_draft(state: FSMContext, **changes: Any) -> None:
    draft = await _draft_of(state)
    assert draft is not None  # the states that call this are only reached with a draft
    await state.update_data(draft={**draft, **changes})


async def _drop_draft(state: FSMContext) -> None:
    """End the conversation but keep the chat's other data (its language)."""
    await state.set_state(None)
    await state.update_data(draft=None)


async def _download(bot: Bot, file_id: str, settings: Settings) -> tuple[bytes, str]:
    """getFile, then the file itself from the Bot API server, refusing oversized files."""
    file = await bot.get_file(file_id)
    if file.file_path is None:
        raise IntakeRejected("photo", N_("Telegram gave no path for the photo"))
    if file.file_size and file.file_size > settings.max_attachment_bytes:
        raise IntakeRejected("photo", N_("the photo is larger than the attachment limit"))
    buffer = await bot.download_file(file.file_path, timeout=int(settings.telegram_timeout_s))
    assert buffer is not None
    return buffer.read(), PurePosixPath(file.file_path).name


def _attach_photo(hotline: ChatDeps, accepted: Accepted, data: bytes, name: str) -> None:
    case_id = accepted.case.id
    assert case_id is not None
    with session_scope(hotline.engine) as session:
        store_attachment(
            session=session,
            root=hotline.settings.attachments_path,
            case_id=case_id,
            data=data,
            kind=AttachmentKind.photo,
            content_type="image/jpeg",  # Telegram re-encodes every photo as JPEG
            filename=name,
            max_bytes=hotline.settings.max_attachment_bytes,
        )


def build() -> Router:
    """The intake router, new for each dispatcher (a router joins only one)."""
    router = Router(name="intake")
    router.message.register(cancel, Command("cancel"))
    router.callback_query.register(
        cancel_pressed, IntakeStep.filter(F.action == IntakeAction.cancel)
    )
    router.message.register(new_request, Command("new"))
    # Outside a request, a text goes through the conversation router first (it may be details
    # or an acknowledgement); it starts a request here only after /new.
    router.message.register(described, IntakeForm.description, F.text, ~F.text.startswith("/"))
    router.message.register(located, IntakeForm.location, F.location)
    router.message.register(address_typed, IntakeForm.location, F.text, ~F.text.startswith("/"))
    router.message.register(location_fallback, IntakeForm.location)
    router.message.register(photo_sent, IntakeForm.photo, F.photo)
    router.callback_query.register(
        photo_skipped, IntakeForm.photo, IntakeStep.filter(F.action == IntakeAction.skip_photo)
    )
    router.message.register(photo_fallback, IntakeForm.photo)
    router.callback_query.register(confirmed, IntakeStep.filter(F.action == IntakeAction.confirm))
    router.message.register(confirm_fallback, IntakeForm.confirm)
    router.message.register(not_understood, StateFilter(None))
    return router
