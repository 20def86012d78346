"""The case page's own routes: a case's attachments (photos, recordings) for staff.

An attachment is personal data: it is served only to a logged-in staff member who may see its
case (a unit handler only their unit's cases, as the case page), only under its own case's
number (an attachment id of another case is 404), and never cached.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import FileResponse, HTMLResponse, Response

from api.deps import SessionDep, SettingsDep
from api.staff_actions import visible_case
from intake.attachments import attachment_path
from models.attachment import Attachment
from models.service import CaseNotFound
from web.console import StaffDep

router = APIRouter(prefix="/console", include_in_schema=False)

MAX_ID = 2**31 - 1  # an id column's range in both databases
# Types a browser may show inline; anything else is offered as a download.
INLINE = ("image/", "audio/", "video/")


@router.get("/cases/{number}/attachments/{attachment_id}", response_model=None)
def attachment(
    number: str,
    attachment_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    staff: StaffDep,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    try:
        case = visible_case(session=session, user=staff.user, number=number)
    except CaseNotFound:
        return HTMLResponse("not found", status_code=404)
    row = session.get(Attachment, attachment_id)
    if row is None or row.case_id != case.id:
        return HTMLResponse("not found", status_code=404)
    path = attachment_path(settings.attachments_path, row.sha256)
    if not path.is_file():
        return HTMLResponse("the file is missing from the store", status_code=410)
    inline = row.content_type.startswith(INLINE)
    media_type = row.content_type if inline else "application/octet-stream"
    response = FileResponse(
        path,
        media_type=media_type,
        filename=row.filename or f"{case.number}-{row.id}",
        content_disposition_type="inline" if inline else "attachment",
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
