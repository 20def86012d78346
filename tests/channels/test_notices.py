"""Notices read whole in the reader's language: the words the workflow passes in are translated."""

from __future__ import annotations

from channels.messages import render
from models.enums import Language


def test_a_deadline_and_a_decision_are_said_in_chinese_inside_a_chinese_notice() -> None:
    breach = {"number": "20270204-000001", "deadline": "acknowledge", "unit": "望京街道"}
    assert render("sla_breach", Language.zh, breach) == (
        "督办：案件 20270204-000001 已超过签收时限（望京街道）。"
    )
    assert render("sla_breach", Language.en, breach) == (
        "Supervision: case 20270204-000001 missed its acknowledge deadline (望京街道)."
    )
    decided = {"number": "20270204-000001", "decision": "rejected"}
    assert render("extension_decided", Language.zh, decided) == (
        "案件 20270204-000001 的延期申请未获批准。"
    )
    assert "was rejected" in render("extension_decided", Language.en, decided)


def test_a_value_that_is_no_known_word_is_passed_through_unchanged() -> None:
    text = render("returned", Language.zh, {"number": "N1", "unit": "U", "reason": "not ours"})
    assert text.endswith("not ours")


def test_a_due_moment_is_said_in_local_time_not_as_an_iso_timestamp() -> None:
    params = {"number": "20261130-000001", "due": "2026-11-30T17:24:04.921946+00:00"}
    assert render("unit_new_case", Language.zh, params) == (
        render("unit_new_case", Language.zh, {**params, "due": "2026-12-01 01:24"})
    )
    assert "2026-12-01 01:24" in render("unit_new_case", Language.en, params)
    assert "2026-11-30 17:24" in render("unit_new_case", Language.en, params, zone="UTC")
    # Not a moment: left as it is.
    assert "soon" in render("unit_new_case", Language.en, {**params, "due": "soon"})
