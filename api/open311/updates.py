"""mySociety's `POST servicerequestupdates`: a citizen's comment from a client such as
FixMyStreet, added to the open case through the intake follow-ups like any channel's.

The update goes to the case workflow as a signal (`intake.followups.add_details`), which
records it as a `citizen_details` event. The answer must carry our `update_id`, so the POST
waits for that event to be written and answers its id: the same id `GET
servicerequestupdates` lists the update under, so a client that reads updates back (as
FixMyStreet does) recognises its own. The message key is derived from the client and the
client's own `update_id`, so a retried POST finds the event the first one made and answers
it again, even after the case has closed.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool
from temporalio.client import Client

from api.open311.inputs import Form, check_media_url, one, parse_w3c
from api.open311.render import Open311Error
from intake.followups import CaseClosed, add_details
from models.api_key import ApiKeyPublic
from models.enums import CaseStatus, Channel
from models.event import CaseEvent
from models.service import CaseNotFound, get_case
from workflows.types import TERMINAL

# The statuses mySociety's spec lets a client send with an update (upper case there; any case
# here). A citizen's status is recorded in the text only: the unit and the callback decide the
# case's own status.
STATUSES = (
    "OPEN",
    "CLOSED",
    "FIXED",
    "IN_PROGRESS",
    "PLANNED",
    "ACTION_SCHEDULED",
    "INVESTIGATING",
    "DUPLICATE",
    "NOT_COUNCILS_RESPONSIBILITY",
    "NO_FURTHER_ACTION",
    "INTERNAL_REFERRAL",
    "CANCELLED",
    "REOPEN",
    "FOR_TRIAGE",
)
REQUIRED = ("service_request_id", "update_id", "status", "updated_datetime", "description")
MAX_UPDATE_ID = 200
MAX_MEDIA_URLS = 10
RECORD_WAIT_S = 30.0  # how long a POST waits for the worker to write the update
RECORD_POLL_S = 0.05


@dataclass(frozen=True)
class UpdateSubmission:
    number: str
    message_key: str  # client + client's update_id: a retried POST counts once
    text: str
    account_id: str | None


def parse_update(form: Form, client: ApiKeyPublic, max_chars: int) -> UpdateSubmission:
    """The update's fields, checked; contact fields (email, names, phone) are not kept: the
    case already has its citizen, and the update's text is public."""
    values = {name: one(form, name) for name in REQUIRED}
    for name in REQUIRED:
        if values[name] is None:
            raise Open311Error(400, f"{name} was not provided")
    number, update_id, status, description = (
        str(values["service_request_id"]),
        str(values["update_id"]),
        str(values["status"]),
        str(values["description"]),
    )
    if len(update_id) > MAX_UPDATE_ID:
        raise Open311Error(400, f"update_id takes at most {MAX_UPDATE_ID} characters")
    if status.upper() not in STATUSES:
        raise Open311Error(400, f"status '{status}' is not one of {', '.join(STATUSES)}")
    parse_w3c("updated_datetime", values["updated_datetime"])
    if len(description) > max_chars:
        raise Open311Error(
            400, f"description has {len(description)} characters; the limit is {max_chars}"
        )
    urls = [url for raw in _media_urls(form) if (url := check_media_url(raw))]
    text = "\n".join([description, *urls])
    digest = hashlib.sha256(f"{client.name}\n{update_id}".encode()).hexdigest()[:40]
    return UpdateSubmission(
        number=number,
        message_key=f"{Channel.open311.value}:{digest}",
        text=text,
        account_id=one(form, "account_id"),
    )


def _media_urls(form: Form) -> list[str]:
    urls = [*form.get("media_url", []), *form.get("media_url[]", [])]
    if len(urls) > MAX_MEDIA_URLS:
        raise Open311Error(400, f"media_url takes at most {MAX_MEDIA_URLS} URLs")
    return list(dict.fromkeys(urls))


def recorded_update(engine: Engine, update: UpdateSubmission) -> int | None:
    """The id of the event this update already made, or None; refuses an unknown case, and a
    closed one that does not hold this update yet."""
    with Session(engine) as session:
        case = get_case(session=session, number=update.number)
        if case is None or case.channel != Channel.open311:
            # A case that came by phone, SMS, chat or the web is its citizen's own: no client
            # may write into it, nor learn that it exists.
            raise Open311Error(404, f"service_request_id '{update.number}' was not found")
        dedupe_key = f"{case.number}:details:{update.message_key}"
        found = session.exec(select(CaseEvent.id).where(CaseEvent.dedupe_key == dedupe_key)).first()
        if found is None and CaseStatus(case.status) in TERMINAL:
            raise _closed(case.number, CaseStatus(case.status))
        return found


async def deliver(client: Client, engine: Engine, update: UpdateSubmission) -> int:
    """Signal the case workflow and wait until it has recorded the update."""
    try:
        await add_details(
            client=client,
            engine=engine,
            number=update.number,
            text=update.text,
            channel=Channel.open311,
            message_key=update.message_key,
        )
    except CaseClosed as exc:
        raise _closed(exc.number, exc.status) from exc
    except CaseNotFound as exc:  # the row is there but its workflow is over
        raise Open311Error(
            400, f"service_request_id '{update.number}' is closed and takes no more updates"
        ) from exc
    loop = asyncio.get_running_loop()
    deadline = loop.time() + RECORD_WAIT_S
    while loop.time() < deadline:
        found = await run_in_threadpool(recorded_update, engine, update)
        if found is not None:
            return found
        await asyncio.sleep(RECORD_POLL_S)
    raise Open311Error(
        503, "the update was delivered and is still being recorded: repeat the POST for its id"
    )


def _closed(number: str, status: CaseStatus) -> Open311Error:
    return Open311Error(
        400, f"service_request_id '{number}' is {status.value} and takes no more updates"
    )
