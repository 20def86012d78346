"""Survey answers in the words citizens actually use, and refusals of what is not clear."""

from __future__ import annotations

import pytest

from channels.survey_replies import (
    SurveyReply,
    parse_one_answer,
    parse_survey_keys,
    parse_survey_reply,
)
from models.enums import Satisfaction

S, B, D = Satisfaction.satisfied, Satisfaction.basically_satisfied, Satisfaction.dissatisfied


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("是 是 满意", SurveyReply(True, True, S)),
        ("是，否，不满意", SurveyReply(True, False, D)),
        ("有 没有 基本满意", SurveyReply(True, False, B)),
        ("1 1 1", SurveyReply(True, True, S)),
        ("112", SurveyReply(True, True, B)),
        ("1 2 3", SurveyReply(True, False, D)),  # each digit read by its place
        ("2 2 2", SurveyReply(False, False, B)),
        ("是 否 2", SurveyReply(True, False, B)),  # words and digits mixed, as before
        ("yes no 3", SurveyReply(True, False, D)),
        ("2 2 3", SurveyReply(False, False, D)),
        ("Yes, yes, satisfied", SurveyReply(True, True, S)),
        ("yes no basically satisfied", SurveyReply(True, False, B)),
        ("no no dissatisfied", SurveyReply(False, False, D)),
    ],
)
def test_clear_answers_are_read(text: str, expected: SurveyReply) -> None:
    assert parse_survey_reply(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "满意", "yes", "1 1", "1 1 1 1", "3 1 1", "是 是 是", "hello there", "what is this"],
)
def test_unclear_answers_are_not_guessed(text: str) -> None:
    assert parse_survey_reply(text) is None


def test_keypad_answers_are_three_digits() -> None:
    assert parse_survey_keys("121") == SurveyReply(True, False, S)
    assert parse_survey_keys("13") is None
    assert parse_survey_keys("311") is None
    assert parse_survey_keys("1*1") is None


@pytest.mark.parametrize(
    ("text", "satisfaction", "key"),
    [
        ("是的", False, "1"),
        ("没有", False, "2"),
        ("yes", False, "1"),
        ("No.", False, "2"),
        ("基本满意", True, "2"),
        ("不满意", True, "3"),
        ("satisfied", True, "1"),
        ("basically satisfied", True, "2"),
    ],
)
def test_one_spoken_answer_is_read_as_its_key(text: str, satisfaction: bool, key: str) -> None:
    assert parse_one_answer(text, satisfaction=satisfaction) == key


@pytest.mark.parametrize(
    ("text", "satisfaction"),
    [("", False), ("满意", False), ("是", True), ("是 是", False), ("hello", True)],
)
def test_an_unclear_spoken_answer_is_not_guessed(text: str, satisfaction: bool) -> None:
    assert parse_one_answer(text, satisfaction=satisfaction) is None
