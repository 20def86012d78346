"""What an e-mail adds to a notice's text: a subject in the citizen's language, and an HTML part."""

from __future__ import annotations

import html
import re

from core.i18n import N_, Domain, translate
from models.enums import Language

SUBJECTS: dict[str, str] = {
    "details_code": N_("Your code for case {number}"),
    "survey": N_("How was case {number} handled?"),
}
DEFAULT_SUBJECT = N_("12345 citizen hotline: case {number}")
_URL = re.compile(r"https?://[^\s<>\"']+")


def subject(kind: str, language: Language, number: str) -> str:
    message = SUBJECTS.get(kind, DEFAULT_SUBJECT)
    return translate(language, Domain.citizen, message).format(number=number)


def html_body(text: str, language: Language) -> str:
    """The plain text as a small HTML page: escaped, one paragraph a line, links clickable."""
    paragraphs = []
    for line in text.splitlines():
        if not line.strip():
            continue
        escaped, position = [], 0
        for found in _URL.finditer(line):
            escaped.append(html.escape(line[position : found.start()]))
            url = html.escape(found.group(0))
            escaped.append(f'<a href="{url}">{url}</a>')
            position = found.end()
        escaped.append(html.escape(line[position:]))
        paragraphs.append(f"<p>{''.join(escaped)}</p>")
    lang = "zh-CN" if language is Language.zh else "en"
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"></head>'
        f"<body>{''.join(paragraphs)}</body></html>"
    )
