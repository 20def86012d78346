"""Property tests: every parser answers or refuses with its own error, for any input."""

from __future__ import annotations

from typing import Any

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.contacts import normalise_phone
from intake.errors import IntakeRejected
from tests.badinput.registry import PARSERS, Parser, phone_like


@pytest.mark.parametrize("parser", PARSERS, ids=lambda p: p.name)
def test_parser_answers_or_refuses_with_its_own_error(parser: Parser) -> None:
    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(parser.inputs)
    def check(value: Any) -> None:
        try:
            parser.parse(value)
        except parser.rejects_with as exc:
            assert str(exc), "a refusal says what is wrong"

    check()


@settings(max_examples=300, deadline=None)
@given(phone_like)
def test_a_normalised_phone_is_valid_e164_and_normalises_to_itself(raw: str) -> None:
    try:
        e164 = normalise_phone(raw, default_region="CN")
    except IntakeRejected as exc:
        assert exc.field == "contact.phone"
        return
    assert e164.startswith("+") and e164[1:].isdigit()
    assert phonenumbers.is_valid_number(phonenumbers.parse(e164))
    assert normalise_phone(e164, default_region="CN") == e164


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), st.sampled_from(["", "+86", "86", "0086"]))
def test_one_mainland_mobile_written_any_way_is_one_identity(digits: str, prefix: str) -> None:
    try:
        bare = normalise_phone(digits, default_region="CN")
    except IntakeRejected:
        return  # an unallocated range; then every spelling must be refused too
    spaced = f"{prefix} {digits[:3]} {digits[3:7]} {digits[7:]}".strip()
    if prefix == "0086":
        spaced = "+86" + spaced[4:]
    assert normalise_phone(spaced, default_region="CN") == bare
