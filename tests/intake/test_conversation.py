"""Reading a free text without a database: acknowledgements, survey leftovers, NEW / 新, and
what counts for the rate limit (the journeys are in tests/sms and tests/chat)."""

from __future__ import annotations

import pytest

from intake.conversation import (
    counts_for_the_limit,
    is_acknowledgement,
    is_survey_leftover,
    split_new,
)


@pytest.mark.parametrize(
    "text",
    ["嗯", "嗯嗯。", "好的", "好", "好的，谢谢！", "谢谢您", "收到", "行", "OK", "okay", "Thanks!",
     "thank you", "Ｏｋ", "👍", "🙏🙏", "ok thanks 😊"],
)  # fmt: skip
def test_acknowledgements(text: str) -> None:
    assert is_acknowledgement(text)
    assert not counts_for_the_limit(text)


@pytest.mark.parametrize(
    "text",
    ["烧烤摊昨晚又出来了", "好吵", "not ok at all", "路灯还是不亮，谢谢", "", "thanks for nothing"],
)
def test_messages_are_not_acknowledgements(text: str) -> None:
    assert not is_acknowledgement(text)


@pytest.mark.parametrize("text", ["是", "否", "满意", "不满意", "是 否 不满意", "yes no", "1 1 3"])
def test_survey_leftovers(text: str) -> None:
    assert is_survey_leftover(text)


@pytest.mark.parametrize("text", ["是不是该修了", "20261201-000001", "110 120", "no parking here"])
def test_not_survey_leftovers(text: str) -> None:
    assert not is_survey_leftover(text)


def test_new_always_opens_a_case_and_counts() -> None:
    assert split_new("新 路灯不亮了") == (True, "路灯不亮了")
    assert split_new("NEW: streetlight out") == (True, "streetlight out")
    assert split_new("新小区门口") == (False, "新小区门口")
    assert counts_for_the_limit("新 好的")


def test_a_bare_case_number_does_not_count_but_a_number_with_text_does() -> None:
    assert not counts_for_the_limit("20261201-000001")
    assert counts_for_the_limit("20261201-000001 还是坏的")
