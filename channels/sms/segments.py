"""How many SMS segments a text costs, and trimming a text to a maximum number of them.

A text that fits the GSM-7 alphabet travels as 7-bit characters: 160 in one SMS, 153 per part
once concatenated (the rest of each part is the concatenation header); `^{}\\[~]|€` take two.
Anything else (all Chinese text) goes as UCS-2: 70 UTF-16 units in one SMS, 67 per part; a
character outside the BMP (most emoji) takes two units. A character is never split across parts,
so parts are filled greedily, as handsets and Twilio do.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
GSM7 = "GSM-7"
UCS2 = "UCS-2"
LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}  # (single message, each part when concatenated)
ELLIPSIS = {GSM7: "...", UCS2: "…"}


@dataclass(frozen=True)
class SegmentInfo:
    encoding: str
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def encoding_of(text: str) -> str:
    return GSM7 if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text) else UCS2


def _cost(ch: str, encoding: str) -> int:
    if encoding == GSM7:
        return 2 if ch in GSM7_EXTENSION else 1
    return 2 if ord(ch) > 0xFFFF else 1


def split_segments(text: str) -> list[str]:
    """The parts a handset receives: one when the text fits a single SMS."""
    encoding = encoding_of(text)
    single, part = LIMITS[encoding]
    if sum(_cost(ch, encoding) for ch in text) <= single:
        return [text] if text else []
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for ch in text:
        cost = _cost(ch, encoding)
        if used + cost > part:
            parts.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += cost
    parts.append("".join(current))
    return parts


def segment_info(text: str) -> SegmentInfo:
    encoding = encoding_of(text)
    units = sum(_cost(ch, encoding) for ch in text)
    return SegmentInfo(encoding=encoding, units=units, segments=len(split_segments(text)))


def fit(text: str, max_segments: int) -> str:
    """The text itself when it fits `max_segments`, else its longest head that does, plus '…'."""
    if max_segments < 1:
        raise ValueError("max_segments must be at least 1")
    if len(split_segments(text)) <= max_segments:
        return text
    encoding = encoding_of(text)
    ellipsis = ELLIPSIS[encoding]
    _, part = LIMITS[encoding]
    budget = part * max_segments - sum(_cost(ch, encoding) for ch in ellipsis)
    head: list[str] = []
    for ch in text:
        budget -= _cost(ch, encoding)
        if budget < 0:
            break
        head.append(ch)
    # Greedy parts can waste a unit at a boundary (a two-unit character); shorten until it fits.
    trimmed = "".join(head).rstrip() + ellipsis
    while len(split_segments(trimmed)) > max_segments:
        head.pop()
        trimmed = "".join(head).rstrip() + ellipsis
    return trimmed
