"""What the IVR says, in Chinese and English, by prompt (one table, as channels/messages)."""

from __future__ import annotations

from models.enums import CaseStatus, Language

PROMPTS: dict[str, dict[Language, str]] = {
    "greeting": {
        Language.zh: (
            "您好，这里是12345市民服务热线。反映问题请直接讲述，查询案件请按3，人工服务请按0。"
        ),
        Language.en: (
            "Welcome to the 12345 citizen service hotline. To report a problem, stay on the line. "
            "To check a case, press 3. To speak to an operator, press 0."
        ),
    },
    "english": {Language.zh: "For English, press 2.", Language.en: ""},
    "describe": {
        Language.zh: "请讲述您的问题和地点，说完后请稍候，或按井号键。",
        Language.en: "Describe the problem and where it is, then wait, or press hash.",
    },
    "record": {
        Language.zh: "请在提示音后留言，说明问题和地点，说完请按井号键。",
        Language.en: (
            "After the tone, leave a message with the problem and where it is, then press hash."
        ),
    },
    "recorded": {
        Language.zh: "您的留言已收到，我们会尽快处理，案件编号将以短信告知。再见。",
        Language.en: "Your message has been received. We will send you the case number. Goodbye.",
    },
    "not_heard": {
        Language.zh: "抱歉，没有听清。",
        Language.en: "Sorry, we did not catch that.",
    },
    "read_back": {
        Language.zh: "您反映的是：{text}。确认请按1，重新讲述请按2。",
        Language.en: "You said: {text}. To confirm, press 1. To record again, press 2.",
    },
    "accepted": {
        Language.zh: "您的诉求已受理，案件编号是：{digits}。再说一遍：{digits}。谢谢，再见。",
        Language.en: (
            "Your request is accepted. Your case number is: {digits}. Again: {digits}. Goodbye."
        ),
    },
    "ask_number": {
        Language.zh: "请输入十四位案件编号，以井号键结束。",
        Language.en: "Enter the fourteen digit case number, then press hash.",
    },
    "unknown_case": {
        Language.zh: "没有找到这个案件编号。",
        Language.en: "We found no case with that number.",
    },
    "case_status": {
        Language.zh: "案件{digits}目前的状态是：{status}。",
        Language.en: "Case {digits} is now: {status}.",
    },
    "case_reply": {
        Language.zh: "承办单位的答复是：{reply}",
        Language.en: " The reply of the responsible unit: {reply}",
    },
    "operator": {
        Language.zh: "正在为您转接人工服务，请稍候。",
        Language.en: "Connecting you to an operator, please wait.",
    },
    "no_operator": {
        Language.zh: "抱歉，人工服务暂不可用。",
        Language.en: "Sorry, no operator is available now.",
    },
    "survey_thanks": {
        Language.zh: "感谢您的评价，再见。",
        Language.en: "Thank you for your answers. Goodbye.",
    },
    "survey_keys": {
        Language.zh: "请用按键回答，例如一一一，或直接说出您的回答。",
        Language.en: ("Answer with the keypad, for example one one one, or say your answers."),
    },
    "goodbye": {Language.zh: "再见。", Language.en: "Goodbye."},
}

STATUS_NAMES: dict[CaseStatus, dict[Language, str]] = {
    CaseStatus.accepted: {Language.zh: "已受理", Language.en: "received"},
    CaseStatus.dispatched: {Language.zh: "已派单", Language.en: "sent to the unit responsible"},
    CaseStatus.returned: {Language.zh: "重新派单中", Language.en: "being re-dispatched"},
    CaseStatus.acknowledged: {Language.zh: "承办单位已签收", Language.en: "accepted by the unit"},
    CaseStatus.in_progress: {Language.zh: "办理中", Language.en: "in progress"},
    CaseStatus.resolved: {Language.zh: "已办结，待回访", Language.en: "resolved"},
    CaseStatus.callback: {Language.zh: "回访中", Language.en: "in follow-up"},
    CaseStatus.reopened: {Language.zh: "重新办理中", Language.en: "reopened"},
    CaseStatus.closed: {Language.zh: "已结案", Language.en: "closed"},
    CaseStatus.withdrawn: {Language.zh: "已撤回", Language.en: "withdrawn"},
    CaseStatus.merged: {Language.zh: "已合并", Language.en: "merged with another case"},
}

# Said when the transcript is empty but audio was heard: a human listens to the recording.
AWAITING_TRANSCRIPTION = {
    Language.zh: "（来电录音，待人工转写）",
    Language.en: "(call recording, awaiting transcription)",
}

VOICES = {Language.zh: ("Polly.Zhiyu", "cmn-CN"), Language.en: ("Polly.Joanna", "en-US")}


def prompt(name: str, language: Language, **params: str) -> str:
    return PROMPTS[name][language].format(**params)


def spoken_digits(number: str, language: Language) -> str:
    """A case number said digit by digit ("2 0 2 6 ..."), so no one hears "twenty twenty-six"."""
    digits = [c for c in number if c.isdigit()]
    return ("，" if language is Language.zh else ", ").join(digits)
