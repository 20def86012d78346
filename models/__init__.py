"""SQLModel tables and API schemas; importing this package registers every table's metadata."""

from models.admin_audit import AdminChange
from models.alert import SpikeAlert
from models.api_key import ApiKey
from models.attachment import Attachment
from models.calendar_override import CalendarOverride
from models.case import Case, CaseAssistingUnit, CaseNumberCounter
from models.channels import RateLimitWindow, SmsMessage
from models.citizen import CaseContact, Citizen, CitizenIdentity
from models.conversation import PendingText
from models.event import CaseEvent
from models.facts import CaseEvaluation, CaseFactReturn, CaseFacts
from models.notification import Notification
from models.saved_view import SavedView
from models.staff import StaffUser
from models.unit import Category, Unit
from models.voice_call import VoiceCall

__all__ = [
    "AdminChange",
    "ApiKey",
    "Attachment",
    "CalendarOverride",
    "Case",
    "CaseAssistingUnit",
    "CaseEvaluation",
    "CaseEvent",
    "CaseFactReturn",
    "CaseFacts",
    "CaseNumberCounter",
    "Category",
    "Citizen",
    "CaseContact",
    "CitizenIdentity",
    "Notification",
    "PendingText",
    "RateLimitWindow",
    "SavedView",
    "SmsMessage",
    "SpikeAlert",
    "StaffUser",
    "Unit",
    "VoiceCall",
]
