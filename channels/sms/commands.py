"""Reading an inbound text: a keyword command (status, my cases, withdraw, language, help, stop,
start) or a message.

Keywords are matched on the whole text (trimmed, any case, full-width space allowed), so a
report that merely mentions "help" stays a report. A command's language is the keyword's:
`STATUS` answers in English, `查询` in Chinese, `CX` in the sender's own language.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from intake.conversation import split_new
from models.enums import Language

CASE_NUMBER = r"\d{8}-\d{6,}"


class Command(StrEnum):
    text = "text"  # a report, more details, or a survey answer
    status = "status"
    language = "language"
    help = "help"
    stop = "stop"
    start = "start"
    withdraw = "withdraw"  # 撤回 <number>: not STOP, which only stops texts
    mine = "mine"  # MY / 我的: the sender's own latest cases


@dataclass(frozen=True)
class Parsed:
    command: Command
    language: Language | None = None  # the keyword's language; None: the sender's own
    number: str | None = None  # status: the case asked about; None: the sender's newest
    # withdraw: the case to withdraw; None with `argument` empty: no number given at all
    argument: str = ""  # withdraw: what followed the keyword, when it is not a case number
    text: str = ""  # text: the message without any leading EN / NEW keyword
    new_case: bool = False  # text: "NEW ..." / "新 ..." always opens a new case


STOP_WORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "退订", "td"}
START_WORDS = {"start", "unstop", "订阅"}
HELP_WORDS = {"help": Language.en, "info": Language.en, "帮助": Language.zh, "?": None}
LANGUAGE_WORDS = {"en": Language.en, "english": Language.en, "中文": Language.zh, "zh": Language.zh}
STATUS_WORDS = {"status": Language.en, "查询": Language.zh, "cx": None}
WITHDRAW_WORDS = {"withdraw": Language.en, "撤回": Language.zh}
MINE_WORDS = {
    "my": Language.en,
    "my cases": Language.en,
    "mycases": Language.en,
    "我的": Language.zh,
    "我的诉求": Language.zh,
    "我的案件": Language.zh,
}

_STATUS = re.compile(rf"^(status|查询|cx)\s*[:：]?\s*({CASE_NUMBER})?$", re.IGNORECASE)
# The keyword and at most one word after it: "撤回 我不想投诉了，因为……" stays a message.
_WITHDRAW = re.compile(r"^(withdraw|撤回)(?:\s*[:：]?\s*(\S+))?$", re.IGNORECASE)
_WHOLE_NUMBER = re.compile(rf"^{CASE_NUMBER}$")
_EN_PREFIX = re.compile(r"^en\s+(.+)$", re.IGNORECASE | re.DOTALL)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def parse(body: str) -> Parsed:
    text = body.strip()
    word = unicodedata.normalize("NFKC", text).strip().lower()  # full-width letters and spaces
    if word in STOP_WORDS:
        return Parsed(Command.stop)
    if word in START_WORDS:
        return Parsed(Command.start)
    if word in HELP_WORDS:
        return Parsed(Command.help, language=HELP_WORDS[word])
    if word in LANGUAGE_WORDS:
        return Parsed(Command.language, language=LANGUAGE_WORDS[word])
    if " ".join(word.split()) in MINE_WORDS:
        return Parsed(Command.mine, language=MINE_WORDS[" ".join(word.split())])
    status = _STATUS.match(word)
    if status:
        return Parsed(
            Command.status, language=STATUS_WORDS[status.group(1).lower()], number=status.group(2)
        )
    withdrawal = _WITHDRAW.match(word)
    if withdrawal:
        language = WITHDRAW_WORDS[withdrawal.group(1).lower()]
        argument = withdrawal.group(2) or ""
        if _WHOLE_NUMBER.match(argument):
            return Parsed(Command.withdraw, language=language, number=argument)
        return Parsed(Command.withdraw, language=language, argument=argument)
    new_case, text = split_new(text)
    if english := _EN_PREFIX.match(text):
        english_text = english.group(1).strip()
        return Parsed(Command.text, language=Language.en, text=english_text, new_case=new_case)
    return Parsed(Command.text, language=detect_language(text), text=text, new_case=new_case)


def detect_language(text: str) -> Language | None:
    """Chinese when the text has Chinese characters, English when it has Latin letters only."""
    if _CJK.search(text):
        return Language.zh
    if _LATIN.search(text):
        return Language.en
    return None
