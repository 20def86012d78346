"""Text for smart dispatch: normalise what a citizen wrote and cut it into terms.

Chinese runs are segmented with jieba (its bundled dictionary, loaded once per process, offline
and without its start-up chatter); English and other Latin-script runs become lower-cased words
cut to their Snowball (Porter 2) stem, so "potholes" and "pothole", "lighting" and "lights" are
one term. Mixed text gets both, run by run. Punctuation, pure numbers and a short list of
function words are dropped: they say nothing about which unit should take a request.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
import warnings
from functools import lru_cache
from typing import Any

import snowballstemmer

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_NOT_TEXT = re.compile(rf"[^{_CJK}a-z0-9]+")
_APOSTROPHES = re.compile(r"['’`]")
_RUNS = re.compile(rf"[{_CJK}]+|[a-z0-9]+")
_CJK_RUN = re.compile(rf"[{_CJK}]")

ENGLISH_STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its itself
    just me more most my myself no nor not now of off on once only or other our ours ourselves out
    over own please same she should so some such than that the their theirs them themselves then
    there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours yourself yourselves""".split()
)
CHINESE_STOP_WORDS = frozenset(
    """的 了 着 过 是 在 和 与 及 或 也 都 就 还 又 而 并 但 却 被 把 将 对 向 从 给
    让 于 以 之 其 这 那 这个 那个 这些 那些 我 我们 你 你们 您 他 她 它 他们 她们
    有 没有 没 不 很 太 非常 已经 已 一个 一些 什么 怎么 如何 为什么 吗 呢 吧 啊 呀
    哦 嘛 请 请问 希望 能 能否 可以 是否 谢谢 您好 你好""".split()
)

_stemmer = snowballstemmer.stemmer("english")
_stemmer_lock = threading.Lock()
_segmenter_lock = threading.Lock()
_segmenter_instance: Any = None


def normalize(text: str) -> str:
    """Full-width to half-width, lower case, punctuation to single spaces."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return _NOT_TEXT.sub(" ", _APOSTROPHES.sub("", folded)).strip()


def tokenize(text: str) -> list[str]:
    """The terms of `text`, in order: jieba words for Chinese, word stems for English."""
    return [term for _, term in words_and_terms(text)]


def words_and_terms(text: str) -> list[tuple[str, str]]:
    """(the word as written, normalised; its term) for every term of `text`, in order."""
    pairs: list[tuple[str, str]] = []
    for run in _RUNS.findall(normalize(text)):
        if _CJK_RUN.match(run):
            pairs.extend(
                (word, word) for word in _segmenter().lcut(run) if word not in CHINESE_STOP_WORDS
            )
        elif not run.isdigit() and run not in ENGLISH_STOP_WORDS:
            pairs.append((run, stem(run)))
    return pairs


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """The English stem of a lower-cased word ("potholes" -> "pothol"); numbers stay whole."""
    if not word.isalpha():
        return word
    with _stemmer_lock:  # one Snowball stemmer object keeps state between calls
        return str(_stemmer.stemWord(word))


def _segmenter() -> Any:
    """jieba with its bundled dictionary, initialised once per process and quietly."""
    global _segmenter_instance
    with _segmenter_lock:
        if _segmenter_instance is None:
            with warnings.catch_warnings():
                # Its import probes `pkg_resources`, deprecated where setuptools is installed.
                warnings.simplefilter("ignore")
                import jieba

            jieba.setLogLevel(logging.WARNING)
            segmenter = jieba.Tokenizer()
            segmenter.initialize()
            _segmenter_instance = segmenter
        return _segmenter_instance
