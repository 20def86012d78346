"""The closed vocabularies of a case, named as in DESIGN.md; stored as their string values.

Here in `core`, importing nothing, so that the `hotline` CLI can offer them as choices
without loading the tables (importing anything under `models/` registers every table);
the rest of the code imports them as `models.enums`, which re-exports these classes."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    voice = "voice"
    sms = "sms"
    chat = "chat"
    web = "web"
    open311 = "open311"
    staff = "staff"


class Language(StrEnum):
    zh = "zh"
    en = "en"


class RequestType(StrEnum):
    consultation = "consultation"
    help = "help"
    complaint = "complaint"
    report = "report"
    suggestion = "suggestion"
    praise = "praise"


class Urgency(StrEnum):
    normal = "normal"
    urgent = "urgent"


class CaseStatus(StrEnum):
    accepted = "accepted"
    dispatched = "dispatched"
    returned = "returned"  # 退单: back with the dispatch centre, to re-dispatch or overrule
    acknowledged = "acknowledged"
    in_progress = "in_progress"
    resolved = "resolved"
    callback = "callback"
    reopened = "reopened"
    closed = "closed"
    withdrawn = "withdrawn"
    merged = "merged"


class Satisfaction(StrEnum):
    satisfied = "satisfied"  # 满意
    basically_satisfied = "basically_satisfied"  # 基本满意
    dissatisfied = "dissatisfied"  # 不满意
    no_evaluation = "no_evaluation"  # 未评价: the citizen could not be reached


class IdentityKind(StrEnum):
    phone = "phone"
    telegram = "telegram"
    email = "email"


class UnitKind(StrEnum):
    city = "city"
    district = "district"
    street = "street"  # 街道 / 乡镇
    department = "department"
    utility = "utility"


class PlaceMethod(StrEnum):
    """How a case's district and street were found."""

    given = "given"  # codes the request carried (an Open311 address_id, a form's choice)
    address = "address"  # names in the address text
    point = "point"  # the map point inside a boundary or nearest a street's area
    both = "both"  # the address and the point agree
    dispatcher = "dispatcher"  # a dispatcher sent the case to a street or district unit


class CoordinateSystem(StrEnum):
    """The datum of a map point: GPS is WGS-84; AMap/Tencent maps GCJ-02; Baidu maps BD-09."""

    wgs84 = "wgs84"
    gcj02 = "gcj02"
    bd09 = "bd09"


class StaffRole(StrEnum):
    operator = "operator"
    dispatcher = "dispatcher"
    unit_handler = "unit_handler"
    supervisor = "supervisor"
    admin = "admin"


class AttachmentKind(StrEnum):
    audio = "audio"
    photo = "photo"
    document = "document"


class EventKind(StrEnum):
    """Every kind of case-timeline event written (`case_events.kind`); the console names each
    in words (`web/staff_words.py`), and a test checks no page shows one raw."""

    accepted = "accepted"
    dispatch_suggested = "dispatch_suggested"
    dispatch_suggestion_failed = "dispatch_suggestion_failed"
    dispatched = "dispatched"
    acknowledged = "acknowledged"
    returned = "returned"
    return_overruled = "return_overruled"
    responded = "responded"
    extension_requested = "extension_requested"
    extension_approved = "extension_approved"
    extension_rejected = "extension_rejected"
    resolved = "resolved"
    answered_directly = "answered_directly"
    callback_started = "callback_started"
    survey_answered = "survey_answered"
    merged_survey_answered = "merged_survey_answered"
    survey_unanswered = "survey_unanswered"
    reopened = "reopened"
    closed = "closed"
    merged = "merged"
    duplicate_merged = "duplicate_merged"
    citizen_details = "citizen_details"
    withdrawn = "withdrawn"
    sla_breach = "sla_breach"
    sms_delivery = "sms_delivery"
    supervised = "supervised"
    urged = "urged"
    redispatched = "redispatched"
    transcribed = "transcribed"
