"""Reading the citizen's answer to the three callback questions from free text or keys.

The survey message asks: 1. did the unit contact you, 2. is the problem solved, 3. are you
satisfied. Citizens answer by SMS, chat or on the phone (keys or speech), in Chinese or English,
as words ("是 是 满意", "yes no dissatisfied") or digits ("1 1 1", "112"). A digit means what its
place says, as the prompts explain per question: for the first two 1 = yes, 2 = no; for the
third 1 = satisfied, 2 = basically satisfied, 3 = dissatisfied (so "2" is never both at once).
Anything else is not guessed at: the caller gets one clarifying reply instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from models.enums import Satisfaction

YES = {"1", "y", "yes", "yeah", "yep", "是", "是的", "有", "对"}
YES |= {"已联系", "联系了", "已解决", "解决了"}
NO = {"2", "n", "no", "nope", "否", "不", "没有", "没", "未"}
NO |= {"未联系", "没联系", "未解决", "没解决"}
SATISFACTION = {
    "1": Satisfaction.satisfied,
    "satisfied": Satisfaction.satisfied,
    "满意": Satisfaction.satisfied,
    "非常满意": Satisfaction.satisfied,
    "2": Satisfaction.basically_satisfied,
    "basically satisfied": Satisfaction.basically_satisfied,
    "basically": Satisfaction.basically_satisfied,
    "基本满意": Satisfaction.basically_satisfied,
    "3": Satisfaction.dissatisfied,
    "dissatisfied": Satisfaction.dissatisfied,
    "not satisfied": Satisfaction.dissatisfied,
    "unsatisfied": Satisfaction.dissatisfied,
    "不满意": Satisfaction.dissatisfied,
}
# Longest first, so "basically satisfied" wins over "satisfied" and "不满意" over "满意".
_TOKEN = re.compile(
    "|".join(
        re.escape(word)
        for word in sorted(YES | NO | set(SATISFACTION), key=len, reverse=True)
        if not word.isdigit()
    )
    + r"|\d",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class SurveyReply:
    contacted: bool
    resolved: bool
    satisfaction: Satisfaction


def parse_survey_reply(text: str) -> SurveyReply | None:
    """Three answers in order, or None when the text is not clearly that."""
    tokens = [token.lower() for token in _TOKEN.findall(text.strip())]
    if len(tokens) != 3:
        return None
    contacted, resolved, satisfied = tokens
    if contacted not in YES | NO or resolved not in YES | NO or satisfied not in SATISFACTION:
        return None
    return SurveyReply(
        contacted=contacted in YES,
        resolved=resolved in YES,
        satisfaction=SATISFACTION[satisfied],
    )


def parse_survey_keys(digits: str) -> SurveyReply | None:
    """Keypad answers on a call: exactly three digits, e.g. "112"."""
    if not re.fullmatch(r"[12][12][123]", digits):
        return None
    return parse_survey_reply(" ".join(digits))


SATISFACTION_KEYS = {
    Satisfaction.satisfied: "1",
    Satisfaction.basically_satisfied: "2",
    Satisfaction.dissatisfied: "3",
}


def parse_one_answer(text: str, *, satisfaction: bool) -> str | None:
    """One answer said on the phone, as the key it stands for: yes "1" / no "2", or for the
    satisfaction question "1" / "2" / "3"; None when it is not clearly one answer."""
    tokens = [token.lower() for token in _TOKEN.findall(text.strip())]
    if len(tokens) != 1:
        return None
    token = tokens[0]
    if satisfaction:
        return SATISFACTION_KEYS[SATISFACTION[token]] if token in SATISFACTION else None
    if token in YES:
        return "1"
    return "2" if token in NO else None
