"""英文专线: a case whose citizen reads English is answered in English.

The reply goes to the citizen word for word, inside a notice in the case's language; a Chinese
reply in an English notice is a reply the citizen cannot read. The staff API, the console and
the CLI all act through `api.staff_actions.perform`, so this one check covers every door
before anything reaches the workflow.
"""

from __future__ import annotations

import re

from models.enums import Language

_LATIN = re.compile(r"[A-Za-z]")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# A web or e-mail address is Latin letters, not English words.
_ADDRESS = re.compile(r"\S+://\S+|www\.\S+|[\w.+-]+@[\w-]+\.[\w.]+", re.ASCII)


def reads_as_english(text: str) -> bool:
    """Latin letters, and at least as many of them as Chinese characters (web and e-mail
    addresses left out).

    A bilingual reply ("The lamp was fixed today. 路灯已修复。") passes; a Chinese reply with an
    English word or a web address in it ("已处理 OK") does not: its citizen could not read it.
    """
    text = _ADDRESS.sub(" ", text)
    latin = len(_LATIN.findall(text))
    return latin > 0 and latin >= len(_CJK.findall(text))


def reply_language_problem(*, number: str, language: Language, reply: str) -> str | None:
    """Why this reply may not go to this case's citizen (the API's English words); None: it may."""
    if language is Language.en and not reads_as_english(reply):
        return (
            f"case {number} is on the English line: the citizen reads English, "
            "so write the reply in English"
        )
    return None
