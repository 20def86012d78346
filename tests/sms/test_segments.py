"""Segment counting: GSM-7 160/153, UCS-2 70/67, no character split, trimming to a maximum."""

from __future__ import annotations

import pytest

from channels.sms.segments import GSM7, UCS2, fit, segment_info, split_segments


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("", GSM7, 0),
        ("a" * 160, GSM7, 1),
        ("a" * 161, GSM7, 2),
        ("a" * 306, GSM7, 2),
        ("a" * 307, GSM7, 3),
        ("{" * 80, GSM7, 1),  # extension characters take two septets
        ("{" * 81, GSM7, 2),
        ("路" * 70, UCS2, 1),
        ("路" * 71, UCS2, 2),
        ("路" * 134, UCS2, 2),
        ("路" * 135, UCS2, 3),
        ("a" * 159 + "路", UCS2, 3),  # one Chinese character turns the whole text into UCS-2
        ("😀" * 35, UCS2, 1),  # outside the BMP: two UTF-16 units each
        ("😀" * 36, UCS2, 2),
    ],
)
def test_segments_follow_the_encoding(text: str, encoding: str, segments: int) -> None:
    info = segment_info(text)
    assert (info.encoding, info.segments) == (encoding, segments)


def test_parts_never_split_a_character() -> None:
    parts = split_segments("a" + "😀" * 40)  # 81 units: 67 per part
    assert "".join(parts) == "a" + "😀" * 40
    assert [sum(2 if ord(c) > 0xFFFF else 1 for c in p) for p in parts] == [67, 14]
    gsm = split_segments("a" * 152 + "€" + "b" * 10)  # '€' would straddle septets 153 and 154
    assert [len(p) for p in gsm] == [152, 11]


def test_fit_trims_to_the_maximum_with_an_ellipsis() -> None:
    assert fit("路灯已修复。", 1) == "路灯已修复。"
    trimmed = fit("答" * 500, 3)
    assert trimmed == "答" * (67 * 3 - 1) + "…"
    assert segment_info(trimmed).segments == 3
    english = fit("x" * 1000, 2)
    assert english == "x" * (153 * 2 - 3) + "..."
    assert segment_info(english).encoding == GSM7
    with pytest.raises(ValueError, match="at least 1"):
        fit("x", 0)
