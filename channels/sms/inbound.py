"""One inbound text, handled once: a command, a survey answer, more details, or a new case.

The order of questions, for a text from a number:
1. Seen this MessageSid before? Answer exactly as the first time and do nothing else (Twilio
   redelivers when we were slow; the first delivery may already have closed the case). A
   delivery claims the MessageSid first, so a duplicate arriving while the first is still being
   handled waits for it and answers the same, rather than handling the text a second time.
2. Over the sender's rate limit? One polite reply per window, then silence; nothing recorded
   (STOP and START are still obeyed). Only texts that may create or change a case count:
   keywords, acknowledgements ("好的", "thanks") and a bare case number never do.
3. A keyword (STOP, START, HELP, EN, 中文, CX/STATUS/查询, MY/我的, WITHDRAW/撤回 <number>)? Do it.
   撤回 needs the number and a sender who owns that case; the confirmation comes as the
   `withdrawn` notice, so the webhook answers nothing more.
4. A survey pending on the sender's newest case (resolved / callback)? A readable answer is
   the answer (answer_key = MessageSid); an unreadable one (not a mere "好的") gets one
   clarifying question per case, after which texts are handled as below.
5. The rest by the conversation rules every channel shares (`intake/conversation.py`), read
   against the sender's open cases: `NEW` / `新` or no open case → a new case (intake_key =
   MessageSid); one open case (a reopened one too; a merged case counts as its open master)
   → details for it (message_key = MessageSid); several → "which one?" with their numbers,
   the text waits until a reply names one (`<number>` alone files the waiting text,
   `<number> <text>` files that text); an acknowledgement or a survey leftover → a polite
   answer, nothing filed.
A sender who texted STOP gets one confirmation, then no reply at all until START (their texts
are still handled: a report is still a case, it just gets no messages).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from temporalio.client import Client

from channels.rate_limit import RateLimiter, minutes_to_wait
from channels.sms import store
from channels.sms.commands import Command, Parsed, parse
from channels.sms.segments import fit
from channels.sms.texts import merged_status_text, reply, status_label
from channels.survey_replies import parse_survey_reply
from core.i18n import language_name
from core.local_time import local_time
from core.settings import Settings
from intake.contacts import normalise_phone
from intake.conversation import (
    Decision,
    Kind,
    counts_for_the_limit,
    decide,
    file_details,
    is_acknowledgement,
    names_a_case,
)
from intake.errors import IntakeRejected
from intake.flows import start_case_workflow
from intake.followups import (
    CaseClosed,
    answer_survey,
    case_status,
    latest_awaiting_survey,
    latest_case_of,
)
from intake.mycases import own_cases
from intake.owners import ProvedContact
from intake.schemas import Contact, Intake
from intake.service import accept_intake
from intake.withdrawal import NotWithdrawable, NotYours, withdraw_case
from models.case import Case
from models.channels import SmsMessage
from models.enums import CaseStatus, Channel, IdentityKind, Language
from models.service import CaseNotFound

CHANNEL = Channel.sms
CLAIM_WAIT_POLLS = 300  # 15 s, Twilio's webhook timeout
# The confirmations of STOP and START go out even though the number is opted out at that moment:
# the last message a number gets is the one saying it gets no more.
ALWAYS_ANSWERED = frozenset({"stop", "start"})


class BadWebhook(ValueError):
    """A form Twilio would never send: the fields every inbound SMS carries are missing."""


@dataclass(frozen=True)
class Inbound:
    sid: str
    phone: str  # E.164
    body: str

    @classmethod
    def from_form(cls, form: dict[str, str], *, default_region: str) -> Inbound:
        sid = form.get("MessageSid") or form.get("SmsSid") or ""
        sender = form.get("From", "")
        if not sid or not sender:
            raise BadWebhook("an inbound SMS needs MessageSid and From")
        return cls(
            sid=sid,
            phone=normalise_phone(sender, default_region=default_region),
            body=without_controls(form.get("Body", "")),
        )


_CONTROLS = dict.fromkeys(c for c in range(32) if chr(c) not in "\t\n\r")


def without_controls(body: str) -> str:
    """A text as a person wrote it: a carrier's stray NUL or other control character would
    make the intake (and PostgreSQL) refuse the whole report, so it is dropped here."""
    return body.translate(_CONTROLS)


@dataclass(frozen=True)
class Outcome:
    kind: str  # what the text did, remembered with the MessageSid
    reply: str | None  # None: no reply at all
    case: Case | None = None


class SmsConversation:
    def __init__(
        self,
        *,
        engine: Engine,
        settings: Settings,
        temporal: Client,
        limiter: RateLimiter,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.temporal = temporal
        self.limiter = limiter

    async def handle(self, message: Inbound) -> str | None:
        """The reply to send back in the TwiML answer, or None for an empty one."""
        earlier = await asyncio.to_thread(store.seen, self.engine, message.sid)
        if earlier is not None and earlier.kind != store.PENDING:
            return earlier.body or None
        claimed = await asyncio.to_thread(
            lambda: store.claim_inbound(self.engine, sid=message.sid, phone=message.phone)
        )
        if claimed is not None:
            done = await self._handled_elsewhere(message.sid)
            if done is not None:
                return done.body or None
            # The other delivery's claim is stale (it died): handle it here; the keys below
            # (intake_key, message_key, answer_key = MessageSid) still make it count once.
        try:
            outcome = await self._outcome(message)
        except BaseException:
            if claimed is None:
                await asyncio.to_thread(store.release_inbound, self.engine, message.sid)
            raise
        reply_text = fit(outcome.reply, self.settings.sms_max_segments) if outcome.reply else None
        if (
            reply_text
            and outcome.kind not in ALWAYS_ANSWERED
            and await asyncio.to_thread(store.is_opted_out, self.engine, message.phone)
        ):
            reply_text = None
        await asyncio.to_thread(
            lambda: store.record_inbound(
                self.engine,
                sid=message.sid,
                phone=message.phone,
                kind=outcome.kind,
                reply=reply_text or "",
                case_id=outcome.case.id if outcome.case else None,
            )
        )
        return reply_text

    async def _handled_elsewhere(self, sid: str) -> SmsMessage | None:
        """The row of a duplicate delivery being handled at this moment, once it is done;
        None if it is not done within Twilio's own webhook timeout."""
        for _ in range(CLAIM_WAIT_POLLS):
            row = await asyncio.to_thread(store.seen, self.engine, sid)
            if row is None:
                return None  # it failed and released the message: ours now
            if row.kind != store.PENDING:
                return row
            await asyncio.sleep(0.05)
        return None

    async def _outcome(self, message: Inbound) -> Outcome:
        parsed = parse(message.body)
        # Only texts that may create or change a case count (a report, details, a survey
        # answer); keywords (STATUS, HELP, a language, STOP/START), acknowledgements ("好的",
        # "thanks") and a bare case number answering "which case?" never do.
        counted = parsed.command is Command.text and (
            parsed.new_case or counts_for_the_limit(parsed.text)
        )
        if counted and not await asyncio.to_thread(self.limiter.allow, CHANNEL, message.phone):
            return await self._limited(message.phone)
        if parsed.command is Command.text:
            return await self._text(message, parsed)
        return await self._command(message, parsed)

    async def _limited(self, phone: str) -> Outcome:
        """Refused for the rate limit: told once, with the real wait, then silence."""
        if not await asyncio.to_thread(self.limiter.first_refusal, CHANNEL, phone):
            return Outcome("rate_limited", None)
        wait = await asyncio.to_thread(self.limiter.retry_after, CHANNEL, phone)
        language = await self._language(phone, None)
        minutes = str(minutes_to_wait(wait))
        return Outcome("rate_limited", reply("rate_limited", language, minutes=minutes))

    # ---- keywords -----------------------------------------------------------------------

    async def _command(self, message: Inbound, parsed: Parsed) -> Outcome:
        phone = message.phone
        if parsed.command is Command.stop:
            await asyncio.to_thread(store.set_opted_out, self.engine, phone, True)
            return Outcome("stop", reply("stopped", await self._language(phone, None)))
        if parsed.command is Command.start:
            await asyncio.to_thread(store.set_opted_out, self.engine, phone, False)
            return Outcome("start", reply("started", await self._language(phone, None)))
        if parsed.command is Command.language:
            assert parsed.language is not None
            await asyncio.to_thread(store.set_language, self.engine, phone, parsed.language)
            name = language_name(parsed.language)
            return Outcome("language", reply("language", parsed.language, language=name))
        language = await self._language(phone, parsed.language)
        if parsed.command is Command.help:
            return Outcome("help", reply("help", language))
        if parsed.command is Command.withdraw:
            return await self._withdraw(message, parsed.number, language)
        if parsed.command is Command.mine:
            return await self._mine(phone, language)
        return await self._status(phone, parsed.number, language)

    async def _withdraw(self, message: Inbound, number: str | None, language: Language) -> Outcome:
        if number is None:
            return Outcome("withdraw_refused", reply("withdraw_usage", language))
        sender = ProvedContact(IdentityKind.phone, message.phone)  # the From of a signed webhook
        try:
            case = await withdraw_case(
                client=self.temporal,
                engine=self.engine,
                number=number,
                reason="",
                asker=sender,
                channel=CHANNEL,
            )
        except NotYours:
            return Outcome("withdraw_refused", reply("not_found", language, number=number))
        except (NotWithdrawable, CaseNotFound) as exc:
            status = exc.status if isinstance(exc, NotWithdrawable) else CaseStatus.closed
            label = status_label(status, language)
            text = reply("withdraw_too_late", language, number=number, status=label)
            return Outcome("withdraw_refused", text)
        return Outcome("withdraw", None, case)  # the `withdrawn` notice confirms it

    async def _mine(self, phone: str, language: Language) -> Outcome:
        """MY / 我的: the sender's latest cases, newest first, each with its status and date."""
        sender = ProvedContact(IdentityKind.phone, phone)  # the From of a signed webhook
        cases = await asyncio.to_thread(own_cases, self.engine, sender)
        if not cases:
            return Outcome("mine", reply("no_case", language))
        lines = [
            reply(
                "my_case_line",
                language,
                number=case.number,
                status=status_label(case.status, language),
                date=local_time(case.created_at, self.settings.timezone),
            )
            for case in cases
        ]
        return Outcome("mine", reply("my_cases", language, cases="\n".join(lines)))

    async def _status(self, phone: str, number: str | None, language: Language) -> Outcome:
        if number is None:
            case = await asyncio.to_thread(latest_case_of, self.engine, IdentityKind.phone, phone)
            if case is None:
                return Outcome("status", reply("no_case", language))
        else:
            case = await asyncio.to_thread(store.owned_case, self.engine, phone, number)
            if case is None:
                return Outcome("status", reply("not_found", language, number=number))
        sender = ProvedContact(IdentityKind.phone, phone)  # the From of a signed webhook
        view = await asyncio.to_thread(lambda: case_status(self.engine, case.number, asker=sender))
        label = status_label(view.status, language)
        if view.master_number and view.master_status:
            text = merged_status_text(
                view.number, view.master_number, view.master_status, view.reply, language
            )
            return Outcome("status", text, case)
        if view.reply:
            text = reply(
                "status_reply", language, number=view.number, status=label, reply=view.reply
            )
        else:
            text = reply("status", language, number=view.number, status=label)
        return Outcome("status", text, case)

    # ---- free text ------------------------------------------------------------------------

    async def _text(self, message: Inbound, parsed: Parsed) -> Outcome:
        opened = await asyncio.to_thread(store.case_from_message, self.engine, message.sid)
        if opened is not None:  # a duplicate of the text that opened a case
            return await self._open_case(message, parsed, opened)
        if not parsed.new_case:
            survey = await self._survey(message, parsed)
            if survey is not None:
                return survey
        return await self._converse(message, parsed)

    async def _survey(self, message: Inbound, parsed: Parsed) -> Outcome | None:
        case = await asyncio.to_thread(
            latest_awaiting_survey, self.engine, IdentityKind.phone, message.phone
        )
        if case is None or not parsed.text:
            return None
        language = Language(case.language)
        answer = parse_survey_reply(parsed.text)
        if answer is not None:
            try:
                await answer_survey(
                    client=self.temporal,
                    engine=self.engine,
                    number=case.number,
                    answer_key=message.sid,
                    contacted=answer.contacted,
                    resolved=answer.resolved,
                    satisfaction=answer.satisfaction,
                )
            except CaseNotFound:
                return None  # the case closed meanwhile: this is a new text after all
            return Outcome(
                "survey_answer", reply("survey_thanks", language, number=case.number), case
            )
        assert case.id is not None
        if (
            is_acknowledgement(parsed.text)
            or names_a_case(parsed.text)
            or await asyncio.to_thread(store.clarified, self.engine, case.id)
        ):
            return None
        return Outcome(
            "survey_clarify", reply("survey_clarify", language, number=case.number), case
        )

    async def _converse(self, message: Inbound, parsed: Parsed) -> Outcome:
        """The text read against the sender's open cases (`intake/conversation.py`)."""
        contact = ProvedContact(IdentityKind.phone, message.phone)  # the From of a signed webhook
        language = await self._language(message.phone, parsed.language)
        decision = await asyncio.to_thread(
            lambda: decide(
                self.engine,
                contact,
                parsed.text,
                message_key=message.sid,
                language=language,
                new_case=parsed.new_case,
            )
        )
        if decision.kind is Kind.new_case:
            return await self._open_case(message, parsed, None)
        if decision.kind is Kind.details:
            return await self._details(message, parsed, decision, contact)
        if decision.kind is Kind.ask_which:
            numbers = "\n".join(decision.numbers)
            return Outcome("ask_which", reply("ask_which", language, numbers=numbers))
        if decision.kind is Kind.number_only:
            text = reply("number_only", language, number=decision.numbers[0])
            return Outcome("number_only", text)
        if decision.kind is Kind.not_open:
            kind = "case_closed" if decision.own else "not_found"
            return Outcome("not_open", reply(kind, language, number=decision.numbers[0]))
        return Outcome("acknowledgement", reply("acknowledged", language))

    async def _details(
        self, message: Inbound, parsed: Parsed, decision: Decision, contact: ProvedContact
    ) -> Outcome:
        case = decision.case
        assert case is not None
        if case.intake_key == message.sid and case.channel == CHANNEL:
            # A concurrent duplicate: the other delivery opened this case with this very text
            # after our `case_from_message` looked; it is that case, not details for it.
            return await self._open_case(message, parsed, case)
        language = parsed.language or Language(case.language)  # the language just written in
        if len(decision.text) > self.settings.max_description_chars:
            limit = str(self.settings.max_description_chars)
            return Outcome("rejected", reply("too_long", language, limit=limit))
        try:
            await file_details(
                client=self.temporal,
                engine=self.engine,
                contact=contact,
                decision=decision,
                channel=CHANNEL,
            )
        except (CaseClosed, CaseNotFound):
            return Outcome("not_open", reply("case_closed", language, number=case.number))
        return Outcome("details", reply("details_added", language, number=case.number), case)

    async def _open_case(self, message: Inbound, parsed: Parsed, opened: Case | None) -> Outcome:
        language = await self._language(message.phone, parsed.language)
        if opened is None:
            intake = Intake(
                channel=CHANNEL,
                description=parsed.text,
                language=language,
                contact=Contact(phone=message.phone),
                intake_key=message.sid,
            )
            try:
                accepted = await asyncio.to_thread(
                    lambda: accept_intake(
                        engine=self.engine,
                        intake=intake,
                        settings=self.settings,
                        proved=IdentityKind.phone,  # `From` of a webhook Twilio signed
                    )
                )
            except IntakeRejected as exc:
                if exc.field != "description":
                    raise
                limit = str(self.settings.max_description_chars)
                kind = "too_long" if parsed.text else "empty"
                return Outcome("rejected", reply(kind, language, limit=limit))
            opened = accepted.case
        # Again for a duplicate too: the first delivery may have failed before the start.
        await start_case_workflow(client=self.temporal, settings=self.settings, case=opened)
        case_language = Language(opened.language)
        return Outcome("new_case", reply("accepted", case_language, number=opened.number), opened)

    async def _language(self, phone: str, explicit: Language | None) -> Language:
        """The keyword's or text's language, else the sender's own, else Chinese."""
        if explicit is not None:
            return explicit
        known = await asyncio.to_thread(store.profile, self.engine, phone)
        return known.language or Language.zh
