"""The closed vocabularies of a case (defined in `core.enums`, so the CLI can use them without
loading the tables; the same classes, imported from here by the rest of the code)."""

from core.enums import (
    AttachmentKind,
    CaseStatus,
    Channel,
    CoordinateSystem,
    EventKind,
    IdentityKind,
    Language,
    PlaceMethod,
    RequestType,
    Satisfaction,
    StaffRole,
    UnitKind,
    Urgency,
)

__all__ = [
    "AttachmentKind",
    "CaseStatus",
    "Channel",
    "CoordinateSystem",
    "EventKind",
    "IdentityKind",
    "Language",
    "PlaceMethod",
    "RequestType",
    "Satisfaction",
    "StaffRole",
    "UnitKind",
    "Urgency",
]
