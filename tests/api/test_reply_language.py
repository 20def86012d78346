"""英文专线: which replies read as English to a citizen who chose English."""

from __future__ import annotations

import pytest

from api.reply_language import reads_as_english, reply_language_problem
from models.enums import Language


@pytest.mark.parametrize(
    ("reply", "english"),
    [
        ("The lamp was replaced on Monday.", True),
        ("The lamp was replaced on Monday. 路灯已于周一更换。", True),  # bilingual
        ("Fixed by 朝阳区 staff.", True),
        ("路灯已修复。", False),
        ("已处理 OK", False),  # Chinese with an English word in it
        ("详见 www.bj.gov.cn 的公告。", False),
        ("12345", False),  # no words at all
    ],
)
def test_reads_as_english(reply: str, english: bool) -> None:
    assert reads_as_english(reply) is english


def test_only_english_line_cases_are_checked() -> None:
    assert (
        reply_language_problem(number="20261201-000001", language=Language.zh, reply="好") is None
    )
    assert reply_language_problem(number="20261201-000001", language=Language.en, reply="好") == (
        "case 20261201-000001 is on the English line: the citizen reads English, "
        "so write the reply in English"
    )
