"""The SMS channel's own replies, in Chinese and English (notices use `channels.messages`)."""

from __future__ import annotations

from models.enums import CaseStatus, Language

REPLIES: dict[str, dict[Language, str]] = {
    "accepted": {
        Language.zh: "您的诉求已受理，案件编号 {number}。回复“CX {number}”查询进度。",
        Language.en: (
            "Your request has been received. Case number {number}. "
            "Text 'STATUS {number}' to follow it."
        ),
    },
    "details_added": {
        Language.zh: "补充内容已记入案件 {number}。如要提出新的诉求，请以“新”开头发送。",
        Language.en: (
            "Added to case {number}. To report a different problem, start your text with 'NEW'."
        ),
    },
    "status": {
        Language.zh: "案件 {number}：{status}。",
        Language.en: "Case {number}: {status}.",
    },
    "status_reply": {
        Language.zh: "案件 {number}：{status}。答复：{reply}",
        Language.en: "Case {number}: {status}. Reply: {reply}",
    },
    "not_found": {
        Language.zh: "未找到您的案件 {number}，请核对编号。",
        Language.en: "We found no case {number} of yours. Please check the number.",
    },
    "no_case": {
        Language.zh: "您还没有案件。直接发送问题描述即可提出诉求。",
        Language.en: "You have no case yet. Text us the problem to report it.",
    },
    "help": {
        Language.zh: (
            "12345市民服务热线：直接发送问题描述即可提出诉求；“CX 编号”查询进度；"
            "“EN”切换英文；“退订”不再接收短信，“START”恢复。"
        ),
        Language.en: (
            "12345 citizen hotline: text the problem to report it; 'STATUS <number>' for "
            "progress; '中文' for Chinese; 'STOP' to receive no more texts, 'START' to resume."
        ),
    },
    "language": {
        Language.zh: "今后将以中文回复您。",
        Language.en: "We will reply to you in English from now on.",
    },
    "stopped": {
        Language.zh: "您已退订，将不再收到本热线的短信。回复“START”恢复。",
        Language.en: (
            "You are unsubscribed and will get no more texts from us. Text START to resume."
        ),
    },
    "started": {
        Language.zh: "您已恢复接收本热线的短信。",
        Language.en: "You will receive texts from us again.",
    },
    "survey_thanks": {
        Language.zh: "感谢您对案件 {number} 的评价。",
        Language.en: "Thank you for rating case {number}.",
    },
    "survey_clarify": {
        Language.zh: (
            "没能读懂您对案件 {number} 的回访答复。请按顺序回复三个答案，如“是 是 满意”或“1 1 1”"
            "（1=是/满意，2=否/基本满意，3=不满意）。"
        ),
        Language.en: (
            "We could not read your answer about case {number}. Please reply with three answers "
            "in order, e.g. 'yes yes satisfied' or '1 1 1' "
            "(1 = yes/satisfied, 2 = no/basically satisfied, 3 = dissatisfied)."
        ),
    },
    "empty": {
        Language.zh: "请用文字描述您的问题。",
        Language.en: "Please describe the problem in words.",
    },
    "too_long": {
        Language.zh: "内容过长（上限 {limit} 字），请精简后重新发送。",
        Language.en: "Your text is too long (at most {limit} characters). Please shorten it.",
    },
    "case_closed": {
        Language.zh: "案件 {number} 已结束，不再接收补充。如有新的问题，请以“新”开头发送。",
        Language.en: "Case {number} is over. To report a new problem, start your text with 'NEW'.",
    },
    "rate_limited": {
        Language.zh: "您发送的短信过于频繁，请稍后再试。紧急情况请拨打 12345。",
        Language.en: (
            "You are sending texts too often; please try again later. Call 12345 if urgent."
        ),
    },
}

STATUS_LABELS: dict[CaseStatus, dict[Language, str]] = {
    CaseStatus.accepted: {Language.zh: "已受理", Language.en: "received"},
    CaseStatus.dispatched: {Language.zh: "已派单", Language.en: "sent to the responsible unit"},
    CaseStatus.returned: {Language.zh: "重新派单中", Language.en: "being re-assigned"},
    CaseStatus.acknowledged: {Language.zh: "承办单位已签收", Language.en: "accepted by the unit"},
    CaseStatus.in_progress: {Language.zh: "办理中", Language.en: "in progress"},
    CaseStatus.resolved: {Language.zh: "已办结", Language.en: "resolved"},
    CaseStatus.callback: {Language.zh: "回访中", Language.en: "awaiting your feedback"},
    CaseStatus.reopened: {Language.zh: "重办中", Language.en: "reopened"},
    CaseStatus.closed: {Language.zh: "已结案", Language.en: "closed"},
    CaseStatus.withdrawn: {Language.zh: "已撤回", Language.en: "withdrawn"},
    CaseStatus.merged: {Language.zh: "已并案", Language.en: "merged with another case"},
}


def reply(kind: str, language: Language, **params: str) -> str:
    return REPLIES[kind][language].format(**params)


def status_label(status: CaseStatus, language: Language) -> str:
    return STATUS_LABELS[status][language]
