"""/mycases: the chat's own latest cases; and "Share my phone number", which links the chat to
the cases filed from that phone (by SMS or a call).

The list is the chat's cases by the one ownership rule (`intake.mycases`). The phone is linked
only when Telegram vouches it is the sender's own: a contact whose `user_id` is the sender's
(the "Share my phone number" button sends exactly that). A contact of someone else, forwarded
or picked from the address book, is refused and links nothing.
"""

from __future__ import annotations

import asyncio

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import KeyboardButton, Message, ReplyKeyboardMarkup, ReplyKeyboardRemove
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from channels.chat.cases import chat_contact
from channels.chat.deps import ChatDeps
from channels.chat.texts import Gettext, status_label
from core.i18n import language_of
from core.local_time import local_time
from intake.contacts import normalise_phone
from intake.errors import IntakeRejected
from intake.links import has_proved, link_contacts
from intake.mycases import own_cases
from intake.owners import ProvedContact
from models.enums import IdentityKind


def share_phone_keyboard(_: Gettext) -> ReplyKeyboardMarkup:
    button = KeyboardButton(text=_("Share my phone number"), request_contact=True)
    return ReplyKeyboardMarkup(keyboard=[[button]], resize_keyboard=True, one_time_keyboard=True)


async def my_cases_text(hotline: ChatDeps, chat_id: int) -> str:
    """The chat's latest cases, newest first: number, status in words, local date."""
    cases = await asyncio.to_thread(own_cases, hotline.engine, chat_contact(chat_id))
    if not cases:
        return _("You have no case yet. Describe a problem to start one.")
    lines = [
        _("{number}: {status}, {date}").format(
            number=case.number,
            status=status_label(_, case.status),
            date=local_time(case.created_at, hotline.settings.timezone),
        )
        for case in cases
    ]
    return _("Your latest cases:\n{cases}\n/status <number> for one of them.").format(
        cases="\n".join(lines)
    )


async def answer_with_phone_offer(message: Message, hotline: ChatDeps, text: str) -> None:
    """`text`, and while the private chat has no phone linked, the "Share my phone number"
    offer under it: /start and /mycases, where a citizen looks for their cases."""
    linked = await asyncio.to_thread(
        has_proved, hotline.engine, chat_contact(message.chat.id), IdentityKind.phone
    )
    if linked or message.chat.type != "private":
        await message.answer(text)
        return
    offer = _(
        'Reported by phone or SMS too? Press "Share my phone number" below to see those cases here.'
    )
    await message.answer(f"{text}\n\n{offer}", reply_markup=share_phone_keyboard(_))


async def show_my_cases(message: Message, hotline: ChatDeps) -> None:
    await answer_with_phone_offer(message, hotline, await my_cases_text(hotline, message.chat.id))


async def contact_shared(message: Message, hotline: ChatDeps, i18n: I18n) -> None:
    contact, sender = message.contact, message.from_user
    assert contact is not None
    own = (
        sender is not None
        and contact.user_id == sender.id
        and message.chat.type == "private"
        and message.chat.id == sender.id
    )
    if not own:
        refusal = _(
            "This is not the phone number of your own Telegram account, so it was not linked. "
            'To link yours, press "Share my phone number".'
        )
        await message.answer(refusal, reply_markup=share_phone_keyboard(_))
        return
    raw = contact.phone_number.strip()
    try:
        phone = normalise_phone(
            raw if raw.startswith("+") else f"+{raw}",
            default_region=hotline.settings.default_phone_region,
        )
    except IntakeRejected:
        await message.answer(
            _("We could not read this phone number."), reply_markup=ReplyKeyboardRemove()
        )
        return
    await asyncio.to_thread(
        lambda: link_contacts(
            hotline.engine,
            holder=chat_contact(message.chat.id),
            proved=ProvedContact(IdentityKind.phone, phone),
            language=language_of(i18n.current_locale),
        )
    )
    done = _("Your phone number is now linked to this chat.")
    await message.answer(done, reply_markup=ReplyKeyboardRemove())
    await message.answer(await my_cases_text(hotline, message.chat.id))


def build() -> Router:
    """The my-cases router, new for each dispatcher (a router joins only one)."""
    router = Router(name="mycases")
    router.message.register(show_my_cases, Command("mycases"))
    router.message.register(contact_shared, F.contact)
    return router
