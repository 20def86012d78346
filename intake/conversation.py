"""Which case a citizen's free text is about: a new case, details, a question back, or nothing.

One set of rules for every channel that knows who is writing (a signed SMS `From`, a Telegram
chat, a caller id): the channel handles its own keywords and a pending survey answer first, then
asks `decide` about the rest of the text and acts on the answer:

- `new_case`: the text starts with `NEW` / `新` (that word is dropped), or the citizen has no
  open case the text could belong to;
- `details`: the citizen has exactly one open case (any status before the unit's reply:
  accepted, dispatched, acknowledged, in progress, reopened ...): the text goes to it. A case
  merged into another counts as its master case while the master is open, so a reply to a
  merged case joins the case that is being handled. Resolved cases awaiting their survey are
  not open here: the survey is how the citizen says the problem is still there;
- `ask_which`: several open cases: the citizen is asked which, with the numbers; the text waits
  in `pending_texts` (one per contact, a later text replaces it, for a day). A reply that is a
  case number files the waiting text there; `<number> <text>` files that text there at any
  time, with or without a question;
- `number_only`: a bare case number with nothing waiting: how to add to that case;
- `not_open`: `<number> ...` naming a case that is not an open one of this citizen's (theirs
  but over, someone else's, or none): nothing filed;
- `acknowledgement`: "嗯", "好的", "谢谢", "OK", "thanks", "👍", or survey words ("是 否 不满意")
  with no survey waiting for them: a polite answer, never a case.

Only texts that may create or change a case count for the rate limit (`counts_for_the_limit`):
acknowledgements and a bare number answering our question do not.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.engine import Engine
from sqlalchemy.sql.dml import Delete
from sqlmodel import Session, col, delete, select
from temporalio.client import Client

from core.clock import utcnow
from core.db import session_scope
from intake.followups import AWAITING_SURVEY, add_details
from intake.owners import ProvedContact, proved_filter
from models.case import Case
from models.conversation import PendingText
from models.enums import CaseStatus, Channel, Language
from workflows.types import TERMINAL

PENDING_FOR = timedelta(days=1)  # an unanswered "which case?" is forgotten after this
ASK_AT_MOST = 5  # the newest open cases offered when asking which

NEW_PREFIX = re.compile(r"^(new|新)(?:\s+|[:：]\s*)(.+)$", re.IGNORECASE | re.DOTALL)
NUMBERED = re.compile(r"^(\d{8}-\d{6,})(?:[\s:：,，]+(.*))?$", re.DOTALL)

# Said to be polite or to end a conversation; compared without spaces, punctuation or emoji.
ACK_WORDS = {
    "嗯", "嗯嗯", "恩", "哦", "噢", "好", "好的", "好滴", "好吧", "行", "可以", "收到", "知道了",
    "明白", "明白了", "了解", "谢谢", "谢谢你", "谢谢您", "多谢", "感谢", "辛苦了", "辛苦",
    "麻烦了",
    "ok", "okay", "k", "kk", "thanks", "thankyou", "thx", "ty", "cheers", "gotit", "great",
    "fine", "sure", "noted", "alright", "cool",
}  # fmt: skip
# The words of the survey's answers: sent again once the survey is over, they are leftovers.
SURVEY_WORDS = {
    "是", "是的", "有", "对", "否", "不", "没有", "没", "满意", "基本满意", "不满意", "非常满意",
    "已解决", "未解决", "yes", "no", "y", "n", "satisfied", "basicallysatisfied",
    "dissatisfied", "notsatisfied", "1", "2", "3",
}  # fmt: skip
_ACK = re.compile(
    "(?:" + "|".join(re.escape(w) for w in sorted(ACK_WORDS, key=len, reverse=True)) + ")+"
)
_SURVEY = re.compile(
    "(?:" + "|".join(re.escape(w) for w in sorted(SURVEY_WORDS, key=len, reverse=True)) + ")+"
)
_NOT_WORDS = {"P", "Z", "S", "C"}  # punctuation, spaces, symbols (emoji), controls and ZWJ


class Kind(StrEnum):
    new_case = "new_case"
    details = "details"
    ask_which = "ask_which"
    number_only = "number_only"
    not_open = "not_open"
    acknowledgement = "acknowledgement"


@dataclass(frozen=True)
class Decision:
    kind: Kind
    text: str = ""  # new_case: the description; details: what to add
    case: Case | None = None  # details: the (open) case it goes to
    numbers: tuple[str, ...] = ()  # ask_which: to choose from; number_only, not_open: the one named
    message_key: str = ""  # details: the key to file it under (a waiting text keeps its own)
    from_pending: bool = False  # details: the waiting text, named by a bare number
    own: bool = False  # not_open: the number is the citizen's own case (over)


def _bare(text: str) -> str:
    """The words only: full-width folded, lower case, no spaces, punctuation or emoji."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(c for c in folded if unicodedata.category(c)[0] not in _NOT_WORDS)


def is_acknowledgement(text: str) -> bool:
    """ "嗯", "好的，谢谢！", "OK thanks", "👍": nothing to act on."""
    if not text.strip():
        return False
    bare = _bare(text)
    return not bare or _ACK.fullmatch(bare) is not None


def is_survey_leftover(text: str) -> bool:
    """Only survey words ("是", "是 否 不满意", "1 1 3"): an answer, or what is left of one."""
    bare = _bare(text)
    return bool(bare) and len(bare) <= 12 and _SURVEY.fullmatch(bare) is not None


def split_new(text: str) -> tuple[bool, str]:
    """(True, the rest) for "NEW ..." / "新 ..." (always a new case), else (False, the text)."""
    prefixed = NEW_PREFIX.match(text.strip())
    if prefixed:
        return True, prefixed.group(2).strip()
    return False, text.strip()


def names_a_case(text: str) -> bool:
    """ "<number>" or "<number> <text>": the citizen says which case they mean."""
    return NUMBERED.fullmatch(text.strip()) is not None


def counts_for_the_limit(text: str) -> bool:
    """False for what can never create or change a case by itself: an acknowledgement, a bare
    case number (the answer to "which case?": the text it files was counted when it came)."""
    new_case, stripped = split_new(text)
    if new_case:
        return True
    if is_acknowledgement(stripped):
        return False
    numbered = NUMBERED.fullmatch(stripped)
    return not (numbered and not (numbered.group(2) or "").strip())


def open_cases(engine: Engine, contact: ProvedContact) -> list[tuple[Case, str | None]]:
    """The open cases of the citizen who proved `contact`, newest first, each with the number
    of the citizen's own merged case it stands for (None for their own case): a merged case's
    text goes to its master. Cases that merely name the contact (a web form may carry anyone's
    phone or chat) are left out: a stranger's text must not land on them unasked."""
    closed = list(TERMINAL | AWAITING_SURVEY)
    with Session(engine) as session:
        own = session.exec(
            select(Case)
            .where(proved_filter(contact.kind, contact.value))
            .where(col(Case.status).not_in(closed) | (col(Case.status) == CaseStatus.merged))
            .order_by(col(Case.created_at).desc(), col(Case.id).desc())
        ).all()
        found: dict[str, tuple[Case, str | None]] = {}
        for case in own:
            if case.status != CaseStatus.merged:
                found.setdefault(case.number, (case, None))
            elif case.merged_into_id is not None:
                master = session.get(Case, case.merged_into_id)
                if master is not None and master.status not in closed:
                    found.setdefault(master.number, (master, case.number))
    return list(found.values())


def decide(
    engine: Engine,
    contact: ProvedContact,
    text: str,
    *,
    message_key: str,
    language: Language,
    new_case: bool = False,
    now: datetime | None = None,
) -> Decision:
    """What to do with a free text from `contact` (see the module docstring).

    `ask_which` remembers the text (under `message_key`) for the citizen's answer.
    """
    text = text.strip()
    if new_case or not text:
        return Decision(Kind.new_case, text=text)
    numbered = NUMBERED.fullmatch(text)
    if numbered:
        return _numbered(engine, contact, numbered, message_key, now or utcnow())
    if is_acknowledgement(text) or is_survey_leftover(text):
        return Decision(Kind.acknowledgement)
    candidates = open_cases(engine, contact)
    if not candidates:
        return Decision(Kind.new_case, text=text)
    if len(candidates) == 1:
        return Decision(Kind.details, text=text, case=candidates[0][0], message_key=message_key)
    _remember(engine, contact, text, message_key, language, now or utcnow())
    numbers = tuple(case.number for case, _ in candidates[:ASK_AT_MOST])
    return Decision(Kind.ask_which, numbers=numbers)


def _numbered(
    engine: Engine, contact: ProvedContact, numbered: re.Match[str], key: str, now: datetime
) -> Decision:
    number, rest = numbered.group(1), (numbered.group(2) or "").strip()
    target = next(
        (case for case, merged in open_cases(engine, contact) if number in (case.number, merged)),
        None,
    )
    if target is None:
        with Session(engine) as session:
            own = session.exec(
                select(col(Case.id)).where(
                    col(Case.number) == number, proved_filter(contact.kind, contact.value)
                )
            ).first()
        return Decision(Kind.not_open, numbers=(number,), own=own is not None)
    if rest:
        return Decision(Kind.details, text=rest, case=target, message_key=key)
    pending = _pending(engine, contact, now)
    if pending is None:
        return Decision(Kind.number_only, numbers=(target.number,))
    return Decision(
        Kind.details,
        text=pending.text,
        case=target,
        message_key=pending.message_key,
        from_pending=True,
    )


async def file_details(
    *,
    client: Client,
    engine: Engine,
    contact: ProvedContact,
    decision: Decision,
    channel: Channel,
) -> None:
    """Add a `details` decision's text to its case; a waiting text is then no longer waiting.

    Raises `CaseClosed` / `CaseNotFound` when the case closed meanwhile.
    """
    assert decision.kind is Kind.details and decision.case is not None
    await add_details(
        client=client,
        engine=engine,
        number=decision.case.number,
        text=decision.text,
        channel=channel,
        message_key=decision.message_key,
    )
    if decision.from_pending:
        forget_pending(engine, contact)


def _remember(
    engine: Engine,
    contact: ProvedContact,
    text: str,
    message_key: str,
    language: Language,
    now: datetime,
) -> None:
    with session_scope(engine) as session:
        session.exec(_of(contact))  # type: ignore[call-overload]
        session.add(
            PendingText(
                kind=contact.kind,
                value=contact.value,
                text=text,
                language=language,
                message_key=message_key,
                created_at=now,
            )
        )


def _pending(engine: Engine, contact: ProvedContact, now: datetime) -> PendingText | None:
    with Session(engine) as session:
        pending = session.exec(
            select(PendingText).where(
                col(PendingText.kind) == contact.kind, col(PendingText.value) == contact.value
            )
        ).first()
    if pending is None or pending.created_at < now - PENDING_FOR:
        return None
    return pending


def forget_pending(engine: Engine, contact: ProvedContact) -> None:
    with session_scope(engine) as session:
        session.exec(_of(contact))  # type: ignore[call-overload]


def _of(contact: ProvedContact) -> Delete:
    return delete(PendingText).where(
        col(PendingText.kind) == contact.kind, col(PendingText.value) == contact.value
    )
