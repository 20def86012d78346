"""Texts sent to citizens and units, in Chinese and English, keyed by notice kind.

Kept in one table so the channels (SMS, Telegram, voice) all say the same thing; the gettext
catalogues of the chat channel will take these over.
"""

from __future__ import annotations

from models.enums import Language

TEMPLATES: dict[str, dict[Language, str]] = {
    "accepted": {
        Language.zh: "您的诉求已受理，案件编号 {number}。",
        Language.en: "Your request has been received. Case number {number}.",
    },
    "dispatched": {
        Language.zh: "您的诉求 {number} 已派至承办单位处理。",
        Language.en: "Case {number} has been sent to the unit responsible.",
    },
    "resolved": {
        Language.zh: "您的诉求 {number} 已办结。答复：{reply}",
        Language.en: "Case {number} has been resolved. Reply: {reply}",
    },
    "survey": {
        Language.zh: (
            "回访 {number}：1. 承办单位是否联系了您？2. 问题是否解决？"
            "3. 您是否满意（满意/基本满意/不满意）？请按顺序回复三个答案，如“是 是 满意”或“1 1 1”"
            "（1=是/满意，2=否/基本满意，3=不满意）。"
        ),
        Language.en: (
            "Follow-up on {number}: 1. Did the unit contact you? 2. Is the problem solved? "
            "3. Are you satisfied (satisfied / basically satisfied / dissatisfied)? Reply with "
            "three answers in order, e.g. 'yes yes satisfied' or '1 1 1' "
            "(1 = yes/satisfied, 2 = no/basically satisfied, 3 = dissatisfied)."
        ),
    },
    "unit_new_case": {
        Language.zh: "新派单 {number}，请在 {due} 前签收。",
        Language.en: "New case {number}: acknowledge before {due}.",
    },
    "unit_reopened": {
        Language.zh: "案件 {number} 回访不满意且未解决，已重办。",
        Language.en: "Case {number} was reopened: the citizen is dissatisfied and unresolved.",
    },
    "sla_breach": {
        Language.zh: "督办：案件 {number} 已超过{deadline}时限（{unit}）。",
        Language.en: "Supervision: case {number} missed its {deadline} deadline ({unit}).",
    },
    "extension_decided": {
        Language.zh: "案件 {number} 的延期申请{decision}。",
        Language.en: "The extension request for case {number} was {decision}.",
    },
    "returned": {
        Language.zh: "案件 {number} 被 {unit} 退单：{reason}",
        Language.en: "Case {number} was returned by {unit}: {reason}",
    },
}


def render(kind: str, language: Language, params: dict[str, str]) -> str:
    template = TEMPLATES[kind][language]
    return template.format(**params)
