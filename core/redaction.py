"""Mask personal data in free text: the one redaction every surface and every log line uses.

Phones are found by libphonenumber's own matcher (so dates, case numbers and prices are not
phones), e-mail addresses and Chinese resident ID numbers by scanning only around their anchor
('@', a run of 17 digits), so the cost is linear in the text whatever an attacker plants in it.
"""

from __future__ import annotations

import functools
import re

import phonenumbers

PHONE_MASK = "[phone]"
EMAIL_MASK = "[email]"
ID_MASK = "[id]"

# An e-mail's local part and domain are bounded by RFC 5321 (64 and 255 characters): scanning
# at most that far from each '@' keeps the work per '@' constant.
_LOCAL_MAX = 64
_DOMAIN_MAX = 255
_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_LOCAL_CHARS = frozenset(_ALNUM + ".!#$%&'*+/=?^_`{|}~-")
_DOMAIN_CHARS = frozenset(_ALNUM + ".-")
# No backtracking: a fixed-width body between look-arounds, tried once per position.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{16}[0-9Xx](?![0-9A-Za-z])")
# Every phone number has at least this many digits; shorter runs are never handed to the matcher.
_MIN_PHONE_DIGITS = 7
# A case number (YYYYMMDD-NNNNNN), an ISO date, a time and a catalog code (NN.NN.NNN, as
# in a spike alert's name) are ours, never a citizen's phone; each stands alone (no digit
# glued to either end), so no part of a longer number is taken.
_OURS = re.compile(
    r"(?<!\d)(?:\d{8}-\d{6}|\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?"
    r"|\d{1,2}:\d{2}(?::\d{2})?|(?<![\d.])\d{2}\.\d{2}\.\d{3}(?![\d.]))(?!\d)"
)
# What our own numbers are blanked with before the phone search: not a digit and not a
# character a phone number may contain, so no match starts, ends or runs through them.
_BLANK = "|"
# Texts up to this long are remembered with their redaction: a page of a thousand requests
# read again and again masks each text once (about 1024 x 4096 characters kept at most).
_CACHED_CHARS = 4096


def redact(text: str, *, region: str = "CN") -> str:
    """The text with every phone number, e-mail address and ID number replaced by a mask."""
    if not text:
        return text
    if len(text) <= _CACHED_CHARS:
        return _redact_cached(text, region)
    return _redact(text, region)


@functools.lru_cache(maxsize=1024)
def _redact_cached(text: str, region: str) -> str:
    return _redact(text, region)


def _redact(text: str, region: str) -> str:
    text = _mask_emails(text)
    text = _ID_NUMBER.sub(ID_MASK, text)
    return _mask_phones(text, region=region)


def redact_optional(text: str | None, *, region: str = "CN") -> str | None:
    return None if text is None else redact(text, region=region)


def mask_phone(phone: str | None) -> str:
    """A phone for a log line or a staff list: country code and last two digits ('+86******00')."""
    if not phone:
        return ""
    digits = [char for char in phone if char.isdigit()]
    if len(digits) <= 4:
        return "*" * len(digits)
    prefix = "+" + "".join(digits[:2]) if phone.startswith("+") else ""
    hidden = len(digits) - len(prefix.lstrip("+")) - 2
    return f"{prefix}{'*' * hidden}{''.join(digits[-2:])}"


def mask_for_owner(value: str) -> str:
    """Where a one-time code went, as the page tells its reader: '138****1234', 'a***@example.com'.

    Enough for the owner to recognise their own contact, too little for anyone else to use."""
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    digits = "".join(char for char in value if char.isdigit())
    if value.startswith("+86") and len(digits) == 13:
        digits = digits[2:]
    if len(digits) < 11:
        return mask_phone(value)
    return f"{digits[:3]}****{digits[-4:]}"


def _mask_emails(text: str) -> str:
    if "@" not in text:
        return text
    spans: list[tuple[int, int]] = []
    position = text.find("@")
    while position != -1:
        start = position
        while start > 0 and position - start < _LOCAL_MAX and text[start - 1] in _LOCAL_CHARS:
            start -= 1
        end = position + 1
        while end < len(text) and end - position <= _DOMAIN_MAX and text[end] in _DOMAIN_CHARS:
            end += 1
        while end > position + 1 and text[end - 1] in ".-":
            end -= 1
        domain = text[position + 1 : end]
        if start < position and "." in domain.strip("."):
            spans.append((start, end))
        position = text.find("@", max(end, position + 1))
    return _replace(text, spans, EMAIL_MASK)


def _mask_phones(text: str, *, region: str) -> str:
    if sum(char.isdigit() for char in text) < _MIN_PHONE_DIGITS:
        return text
    searched = _OURS.sub(lambda match: _BLANK * len(match.group()), text)
    if sum(char.isdigit() for char in searched) < _MIN_PHONE_DIGITS:
        return text
    # max_tries: the matcher gives up after that many non-numbers by default (65535), which
    # would let a phone after enough planted noise through; there are never more than chars.
    matcher = phonenumbers.PhoneNumberMatcher(
        searched, region, leniency=phonenumbers.Leniency.POSSIBLE, max_tries=len(searched)
    )
    # Fewer digits than the shortest phone is a code (a unit's, a postcode), not a number.
    spans = [
        (match.start, match.end)
        for match in matcher
        if sum(char.isdigit() for char in match.raw_string) >= _MIN_PHONE_DIGITS
    ]
    return _replace(text, spans, PHONE_MASK)


def _replace(text: str, spans: list[tuple[int, int]], mask: str) -> str:
    if not spans:
        return text
    parts: list[str] = []
    last = 0
    for start, end in spans:
        parts.append(text[last:start])
        parts.append(mask)
        last = end
    parts.append(text[last:])
    return "".join(parts)
