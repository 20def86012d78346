"""Texts of the web pages in Chinese and English, one table, and how a page picks its language.

The language comes from `?lang=` (remembered in a cookie), else the cookie, else the browser's
Accept-Language; Chinese is the default, as for the hotline itself.
"""

from __future__ import annotations

from fastapi import Request

from models.enums import Language

LANG_COOKIE = "hotline_lang"

TEXTS: dict[str, tuple[str, str]] = {
    # key: (zh, en)
    "site": ("12345 市民服务热线", "12345 Citizen Service Hotline"),
    "submit": ("提交诉求", "Submit a request"),
    "track": ("查询进度", "Track a request"),
    "feed": ("最新诉求", "Recent requests"),
    "other_lang": ("English", "中文"),
    "home_intro": (
        "一个号码，一个编号：您的诉求直接派至负责单位，办理全程可查。",
        "One number, one case number: your request goes straight to the unit responsible, "
        "and you can follow every step.",
    ),
    "category": ("诉求类别", "Category"),
    "category_unknown": ("不确定（由工作人员分类）", "Not sure (staff will classify it)"),
    "category_search": ("搜索类别", "Search categories"),
    "search": ("搜索", "Search"),
    "matches": ("匹配的类别", "Matching categories"),
    "no_matches": (
        "没有匹配的类别，请换个词或从下方列表选择。",
        "No match: try another word or pick from the list.",
    ),
    "type": ("诉求类型", "Type"),
    "description": ("问题描述", "Describe the problem"),
    "description_hint": (
        "发生了什么、在哪里、持续多久。",
        "What happened, where, and for how long.",
    ),
    "address": ("地址", "Address"),
    "address_hint": (
        "尽量具体：区、街道、小区、门牌。",
        "As precise as you can: district, street, building.",
    ),
    "map_point": ("地图坐标（可选）", "Map point (optional)"),
    "latitude": ("纬度", "Latitude"),
    "longitude": ("经度", "Longitude"),
    "use_location": ("使用我的位置", "Use my location"),
    "photo": ("照片（可选）", "Photo (optional)"),
    "contact": ("联系方式（可选，用于回访）", "Contact (optional, for the follow-up call)"),
    "name": ("姓名", "Name"),
    "contact_proved": ("渠道已验证", "proved by its channel"),
    "contact_given": ("自填，未验证", "as given, not verified"),
    "phone": ("手机号码", "Mobile phone"),
    "email": ("电子邮箱", "Email"),
    "send": ("提交", "Send"),
    "submitted": ("诉求已受理", "Request received"),
    "your_number": ("您的案件编号", "Your case number"),
    "keep_number": (
        "请保存此编号，用它查询办理进度。",
        "Keep this number: it lets you follow your request.",
    ),
    "case_number": ("案件编号", "Case number"),
    "look_up": ("查询", "Look up"),
    "status": ("状态", "Status"),
    "timeline": ("办理过程", "Timeline"),
    "reply": ("答复", "Reply"),
    "area": ("区域", "Area"),
    "date": ("日期", "Date"),
    "all": ("全部", "All"),
    "filter": ("筛选", "Filter"),
    "not_found": ("未找到该编号的诉求。", "No request with this number."),
    "feed_note": (
        "为保护隐私，此处不显示姓名、电话、详细地址和描述。",
        "Names, phone numbers, addresses and descriptions are never shown here.",
    ),
    "details": ("诉求详情", "Request details"),
    "details_code_intro": (
        "查看描述、地址和答复需验证：我们将向您留下的手机号发送一次性验证码。",
        "To see the description, address and reply, we send a one-time code to the phone you gave.",
    ),
    "send_code": ("发送验证码", "Send code"),
    "code": ("验证码", "Code"),
    "verify": ("验证", "Verify"),
    "code_sent": ("验证码已发送。", "The code has been sent."),
    "code_failed": (
        "验证码暂时无法发送，请稍后再试。",
        "The code could not be sent just now; please try again later.",
    ),
    "code_wait": ("验证码发送过于频繁，请稍后再试。", "Too many codes sent: try again later."),
    "code_wrong": ("验证码错误或已过期。", "The code is wrong or has expired."),
    "no_phone": (
        "此诉求没有可接收验证码的手机号。",
        "This request has no phone number to send a code to.",
    ),
    "error": ("请修改后重新提交", "Please correct and send again"),
    "photo_too_big": ("照片太大", "The photo is too large"),
    "photo_not_image": ("只能上传图片", "Only images can be attached"),
    # console
    "console": ("工作台", "Console"),
    "login": ("登录", "Log in"),
    "logout": ("在所有设备上退出", "Log out everywhere"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "login_failed": ("用户名或密码错误。", "Wrong username or password."),
    "login_throttled": (
        "失败次数过多，请 {seconds} 秒后再试。",
        "Too many failed logins: try again in {seconds} s.",
    ),
    "form_expired": ("表单已过期，请重试。", "The form expired: please try again."),
    "view_queue": ("待派单", "Dispatch queue"),
    "view_unit": ("本单位案件", "My unit's cases"),
    "view_supervision": ("督办与延期", "Supervision and extensions"),
    "view_all": ("全部案件", "All cases"),
    "view_intake": ("代客登记", "Phone-in request"),
    "view_admin": ("系统管理", "Administration"),
    "live": ("自动刷新", "Live"),
    "no_cases": ("没有案件。", "No cases."),
    "unit": ("承办单位", "Unit"),
    "urgency": ("紧急程度", "Urgency"),
    "supervised": ("督办", "Supervised"),
    "due": ("时限", "Due"),
    "created": ("受理时间", "Received"),
    "suggested": ("智能派单建议", "Suggested dispatch"),
    "actions": ("操作", "Actions"),
    "done": ("已完成：{status}", "Done: the case is now {status}"),
    "refused": ("未执行：{message}", "Refused: {message}"),
    "pending_extensions": ("待审批延期", "Extensions waiting for a decision"),
    "overdue": ("超时案件", "Overdue cases"),
    "supervised_cases": ("督办案件", "Supervised cases"),
    "units": ("单位", "Units"),
    "categories": ("类别", "Categories"),
    "users": ("用户", "Users"),
    "holidays": ("节假日与调休", "Holidays and make-up workdays"),
    "role": ("角色", "Role"),
    "active": ("启用", "Active"),
    "caller_phone": ("来电号码", "Caller's phone"),
    "record": ("登记", "Record"),
    "kb": ("知识库", "Knowledge base"),
    "kb_hint": ("按关键词查找类别和常见问法。", "Find categories and common phrasings by keyword."),
    # actions
    "act_dispatch": ("派单", "Dispatch"),
    "act_overrule": ("驳回退单", "Overrule the return"),
    "act_answer": ("直接答复", "Answer directly"),
    "act_merge": ("合并到", "Merge into"),
    "act_acknowledge": ("签收", "Acknowledge"),
    "act_return": ("退单", "Return"),
    "act_respond": ("已联系市民", "Citizen contacted"),
    "act_extend": ("申请延期", "Request an extension"),
    "act_approve": ("批准延期", "Approve the extension"),
    "act_reject": ("驳回延期", "Reject the extension"),
    "act_resolve": ("办结", "Resolve"),
    "reason": ("原因", "Reason"),
    "note": ("备注", "Note"),
    "days": ("工作日", "Working days"),
    "master_number": ("主案件编号", "Master case number"),
    "assisting": ("协办单位（逗号分隔）", "Assisting units (comma-separated)"),
}

STATUS: dict[str, tuple[str, str]] = {
    "accepted": ("已受理", "Received"),
    "dispatched": ("已派单", "Sent to the unit"),
    "returned": ("退回调度", "Back with the dispatch centre"),
    "acknowledged": ("已签收", "Accepted by the unit"),
    "in_progress": ("办理中", "In progress"),
    "resolved": ("已办结", "Resolved"),
    "callback": ("回访中", "Follow-up"),
    "reopened": ("重办", "Reopened"),
    "closed": ("已结案", "Closed"),
    "withdrawn": ("已撤回", "Withdrawn"),
    "merged": ("已合并", "Merged"),
}

# Timeline events a citizen sees, in their words; every other event stays internal.
PUBLIC_EVENTS: dict[str, tuple[str, str]] = {
    "accepted": ("诉求已受理", "Request received"),
    "dispatched": ("已派至承办单位", "Sent to the unit responsible"),
    "return_overruled": ("已派至承办单位", "Sent to the unit responsible"),
    "acknowledged": ("承办单位已签收", "The unit accepted the case"),
    "responded": ("承办单位已联系您，正在办理", "The unit contacted you and is working on it"),
    "extension_approved": ("办理时限已延长", "The deadline was extended"),
    "resolved": ("已办结", "Resolved"),
    "answered_directly": ("已直接答复", "Answered"),
    "callback_started": ("回访", "Follow-up"),
    "survey_answered": ("已收到您的评价", "Your evaluation was received"),
    "reopened": ("重新办理", "Reopened"),
    "closed": ("已结案", "Closed"),
    "withdrawn": ("已撤回", "Withdrawn"),
    "merged": ("已与相同诉求合并", "Merged with the same request"),
    "citizen_details": ("您补充了信息", "You added details"),
}

TYPES: dict[str, tuple[str, str]] = {
    "complaint": ("投诉", "Complaint"),
    "help": ("求助", "Help"),
    "report": ("举报", "Report"),
    "consultation": ("咨询", "Question"),
    "suggestion": ("建议", "Suggestion"),
    "praise": ("表扬", "Praise"),
}


def pick(pair: tuple[str, str], language: Language) -> str:
    return pair[1] if language is Language.en else pair[0]


def translator(language: Language) -> dict[str, object]:
    """Template globals for one language: `t('key', **params)`, status and event names."""

    def t(key: str, **params: object) -> str:
        text = pick(TEXTS[key], language)
        return text.format(**params) if params else text

    def status(value: str) -> str:
        return pick(STATUS[value], language) if value in STATUS else value

    def event(kind: str) -> str:
        return pick(PUBLIC_EVENTS[kind], language) if kind in PUBLIC_EVENTS else kind

    def type_name(value: str) -> str:
        return pick(TYPES[value], language) if value in TYPES else value

    return {"t": t, "status_name": status, "event_name": event, "type_name": type_name}


def request_language(request: Request) -> Language:
    for value in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if value in (Language.zh.value, Language.en.value):
            return Language(value)
    accept = request.headers.get("accept-language", "").lower()
    return Language.en if accept.startswith("en") else Language.zh
