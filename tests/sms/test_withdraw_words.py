"""How 撤回 / WITHDRAW is read: any case, full-width space, one word after it at most; a report
that happens to start with 撤回 stays a report, and STOP stays opt-out."""

from __future__ import annotations

import pytest

from channels.sms.commands import Command, Parsed, parse
from models.enums import Language


@pytest.mark.parametrize(
    ("body", "parsed"),
    [
        ("撤回 20261130-000011", Parsed(Command.withdraw, Language.zh, "20261130-000011")),
        ("撤回　20261130-000011", Parsed(Command.withdraw, Language.zh, "20261130-000011")),
        ("撤回20261130-000011", Parsed(Command.withdraw, Language.zh, "20261130-000011")),
        ("WITHDRAW 20261130-000011", Parsed(Command.withdraw, Language.en, "20261130-000011")),
        (" withdraw: 20261130-000011 ", Parsed(Command.withdraw, Language.en, "20261130-000011")),
        (
            "Ｗｉｔｈｄｒａｗ 20261130-000011",
            Parsed(Command.withdraw, Language.en, "20261130-000011"),
        ),
        ("撤回", Parsed(Command.withdraw, Language.zh)),
        ("WITHDRAW 123", Parsed(Command.withdraw, Language.en, argument="123")),
        ("withdraw 20261130-0000", Parsed(Command.withdraw, Language.en, argument="20261130-0000")),
    ],
)
def test_withdraw_is_read_with_its_number(body: str, parsed: Parsed) -> None:
    assert parse(body) == parsed


@pytest.mark.parametrize(
    "body", ["撤回 我不想投诉了 因为已经修好", "withdrawal of the bins is late"]
)
def test_a_report_starting_with_the_word_stays_a_report(body: str) -> None:
    assert parse(body).command is Command.text


@pytest.mark.parametrize("body", ["STOP", "退订", "cancel"])
def test_stop_is_still_opt_out(body: str) -> None:
    assert parse(body).command is Command.stop
