"""Case activities: every database write the case workflow causes.

A transition is one activity, `apply_step`: in one transaction it checks what the step needs
(units, the master case), plans deadlines, appends the event, mirrors the case row and queues
the step's notices in the `notifications` outbox. It never talks to a channel: the outbox
sender (`notices.sender`) does, on its own. Each activity is idempotent, because Temporal
retries them: a step carries the workflow's dedupe key (a second write is a no-op) and so does
each notice (one row per key).

`load_policy`, `plan_deadlines`, `check_units`, `check_master_case`, `record_transition` and
`notify` are the steps of before, one activity each: histories written before `apply_step`
replay through them, so they stay registered.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from analytics.facts import record_facts
from auth.survey_links import survey_url
from channels.messages import render, survey_link_text
from channels.sms.segments import split_segments
from core.db import session_scope
from core.settings import Settings
from dispatch.model import DispatchModelError
from dispatch.runtime import SmartDispatcher
from dispatch.training import TrainingDataError
from intake.owners import reachable_contacts
from intake.place import dispatcher_place
from models import Case, CaseAssistingUnit, CaseEvent, Category, Notification
from models.calendar_override import override_days
from models.enums import Channel, IdentityKind, Language, Urgency
from models.service import get_case
from models.unit import Unit
from notices.port import NotifierRegistry
from workflows.calendar import WorkingCalendar
from workflows.types import (
    SMART_DISPATCH,
    TERMINAL,
    DeadlineRequest,
    Deadlines,
    DispatchAdvice,
    Notice,
    Policy,
    PolicyRequest,
    Sent,
    Step,
    StepResult,
    SurveyRequest,
    Transition,
    UnitCheck,
)

# Which identity reaches a citizen, by the channel they came through: the first that exists and
# whose channel is configured wins, else the first that exists (its notice goes to the log).
REACH_BY_CHANNEL: dict[Channel, tuple[IdentityKind, ...]] = {
    Channel.voice: (IdentityKind.phone,),
    Channel.sms: (IdentityKind.phone,),
    Channel.chat: (IdentityKind.telegram, IdentityKind.phone),
    Channel.web: (IdentityKind.email, IdentityKind.phone, IdentityKind.telegram),
    Channel.open311: (IdentityKind.email, IdentityKind.phone),
    Channel.staff: (IdentityKind.phone, IdentityKind.telegram, IdentityKind.email),
}
# A channel that can carry outbound messages itself, and the identity it addresses.
NATIVE_IDENTITY = {
    Channel.voice: IdentityKind.phone,
    Channel.sms: IdentityKind.phone,
    Channel.chat: IdentityKind.telegram,
}
# Otherwise: the channel that reaches an identity (email goes out through the web channel).
IDENTITY_CHANNEL = {
    IdentityKind.phone: Channel.sms,
    IdentityKind.telegram: Channel.chat,
    IdentityKind.email: Channel.web,
}
DISPATCH_CENTRE = "dispatch-centre"
# Where the survey notice carries its web link (`/survey/{token}`): texts and e-mail. A call
# asks on the phone and Telegram has buttons.
SURVEY_LINK_CHANNELS = frozenset({Channel.sms, Channel.web})


def with_survey_link(text: str, line: str, channel: Channel | None, max_segments: int) -> str:
    """The survey with its link last; first when an SMS would be trimmed (segments): a cut
    question still reads, a cut link does not work."""
    joined = f"{text}\n{line}"
    if channel == Channel.sms and len(split_segments(joined)) > max_segments:
        return f"{line}\n{text}"
    return joined


@dataclass(frozen=True)
class _Recipient:
    channel: Channel | None
    address: str
    language: Language


class CaseActivities:
    def __init__(
        self,
        *,
        engine: Engine,
        settings: Settings,
        calendar: WorkingCalendar,
        notifiers: NotifierRegistry | None = None,
        dispatcher: SmartDispatcher | None = None,
        queued: Callable[[], None] = lambda: None,
    ) -> None:
        """`notifiers` only tells which channels deliver (a citizen is reached on one that
        does); `queued` is called after a commit that queued notices (the sender's wake-up)."""
        self.engine = engine
        self.settings = settings
        self.calendar = calendar
        self.notifiers = notifiers or NotifierRegistry()
        self.dispatcher = dispatcher or SmartDispatcher(engine=engine, settings=settings)
        self.queued = queued

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.apply_step,
            self.load_policy,
            self.plan_deadlines,
            self.check_units,
            self.check_master_case,
            self.record_transition,
            self.notify,
            self.send_survey,
            self.suggest_dispatch,
        ]

    @activity.defn(name="apply_step")
    def apply_step(self, step: Step) -> StepResult:
        """One transition in one transaction; a refused check writes nothing (non-retryable)."""
        transition = step.transition
        with session_scope(self.engine) as session:
            if step.unit_codes:
                self._check_units(session, step.unit_codes)
            if step.master_number is not None:
                self._check_master(session, step.master_number)
            result = StepResult()
            policy = step.current_policy
            if step.policy is not None:
                policy = result.policy = self._policy(session, step.policy)
            if step.plan is not None:
                assert policy is not None, "a step that plans deadlines needs a policy"
                deadlines = self._deadlines(
                    session, policy, step.plan.start, step.plan.extension_working_days
                )
                result.deadlines = deadlines
                planned = {name: getattr(deadlines, name) for name in step.plan.fields}
                transition = dataclasses.replace(
                    transition, changes=dataclasses.replace(transition.changes, **planned)
                )
            if not self._record(session, transition):
                return result  # a retry of a step that committed: the rows are there
            notices = [self._with_due(n, result.deadlines) for n in step.notices]
            for notice in notices:
                self._enqueue(session, notice)
        if notices:
            self.queued()
        return result

    @staticmethod
    def _with_due(notice: Notice, deadlines: Deadlines | None) -> Notice:
        if not notice.due_from or deadlines is None:
            return notice
        due = getattr(deadlines, notice.due_from)
        params = {**notice.params, "due": due.isoformat() if due else ""}
        return dataclasses.replace(notice, params=params)

    @activity.defn(name="load_policy")
    def load_policy(self, request: PolicyRequest) -> Policy:
        """Deadlines for a category and urgency: the category's own, else the defaults."""
        with Session(self.engine) as session:
            return self._policy(session, request)

    def _policy(self, session: Session, request: PolicyRequest) -> Policy:
        s = self.settings
        urgent = request.urgency == Urgency.urgent
        policy = Policy(
            acknowledge_hours=s.acknowledge_hours_urgent if urgent else s.acknowledge_hours_normal,
            respond_hours=s.respond_hours_urgent if urgent else s.respond_hours_normal,
            resolve_working_days=(
                s.resolve_working_days_urgent if urgent else s.resolve_working_days_normal
            ),
            max_extension_working_days=s.max_extension_working_days,
            callback_attempts=s.callback_attempts,
            callback_retry_hours=s.callback_retry_hours,
        )
        if request.category_code is None:
            return policy
        category = session.get(Category, request.category_code)
        if category is None:
            raise ApplicationError(
                f"unknown category '{request.category_code}'", non_retryable=True
            )
        # The category's own deadlines; an urgent case keeps whichever is tighter.
        pick = min if urgent else (lambda default, own: own)
        if category.acknowledge_hours:
            policy.acknowledge_hours = pick(policy.acknowledge_hours, category.acknowledge_hours)
        if category.respond_hours:
            policy.respond_hours = pick(policy.respond_hours, category.respond_hours)
        if category.resolve_working_days:
            policy.resolve_working_days = int(
                pick(policy.resolve_working_days, category.resolve_working_days)
            )
        return policy

    @activity.defn(name="plan_deadlines")
    def plan_deadlines(self, request: DeadlineRequest) -> Deadlines:
        with Session(self.engine) as session:
            return self._deadlines(
                session, request.policy, request.start, request.extension_working_days
            )

    def _deadlines(
        self, session: Session, policy: Policy, start: datetime, extension_working_days: int
    ) -> Deadlines:
        """Hours run on the clock (the hotline never closes); days are working days."""
        days = policy.resolve_working_days + extension_working_days
        # The admin's calendar overrides, read now: a change applies to deadlines planned after it.
        calendar = self.calendar.with_overrides(*override_days(session=session))
        return Deadlines(
            acknowledge_due_at=calendar.add_hours(start, policy.acknowledge_hours),
            respond_due_at=calendar.add_hours(start, policy.respond_hours),
            resolve_due_at=calendar.add_working_days(start, days),
        )

    @activity.defn(name="check_units")
    def check_units(self, request: UnitCheck) -> None:
        with Session(self.engine) as session:
            self._check_units(session, request.unit_codes)

    @staticmethod
    def _check_units(session: Session, unit_codes: list[str]) -> None:
        known = set(
            session.exec(
                select(Unit.code).where(col(Unit.code).in_(unit_codes), col(Unit.active).is_(True))
            ).all()
        )
        missing = [code for code in unit_codes if code not in known]
        if missing:
            raise ApplicationError(f"unknown unit '{missing[0]}'", non_retryable=True)

    @activity.defn(name="check_master_case")
    def check_master_case(self, number: str) -> None:
        with Session(self.engine) as session:
            self._check_master(session, number)

    @staticmethod
    def _check_master(session: Session, number: str) -> None:
        master = get_case(session=session, number=number)
        if master is None:
            raise ApplicationError(f"no case numbered '{number}'", non_retryable=True)
        if master.status in TERMINAL:
            raise ApplicationError(
                f"case {number} is {master.status}: merge into an open case", non_retryable=True
            )

    @activity.defn(name="record_transition")
    def record_transition(self, transition: Transition) -> None:
        """Append the event and mirror the new state onto the case row, once per dedupe key."""
        with session_scope(self.engine) as session:
            self._record(session, transition)

    def _record(self, session: Session, transition: Transition) -> bool:
        """False when the event is already there (a retry)."""
        seen = session.exec(
            select(CaseEvent.id).where(CaseEvent.dedupe_key == transition.dedupe_key)
        ).first()
        if seen is not None:
            return False
        case = self._case(session, transition.number)
        assert case.id is not None
        self._apply(session, case, transition)
        event = CaseEvent(
            case_id=case.id,
            kind=transition.kind,
            actor=transition.actor,
            from_status=transition.from_status,
            to_status=transition.to_status,
            payload=dict(transition.payload),
            created_at=transition.at,
            dedupe_key=transition.dedupe_key,
        )
        session.add(event)
        record_facts(session, case=case, event=event)  # the rankings' facts, same transaction
        return True

    @activity.defn(name="suggest_dispatch")
    def suggest_dispatch(self, number: str) -> DispatchAdvice:
        """Smart dispatch's advice; a model that cannot load is the dispatcher's problem."""
        try:
            return self.dispatcher.advise(number)
        except (DispatchModelError, TrainingDataError) as exc:
            raise ApplicationError(
                f"smart dispatch unavailable: {exc}", non_retryable=True
            ) from exc

    @activity.defn(name="notify")
    async def notify(self, notice: Notice) -> Sent:
        """Queue one notice (the callback's survey and histories of before; a step queues its
        own)."""
        return await asyncio.to_thread(self._queue, notice)

    @activity.defn(name="send_survey")
    async def send_survey(self, request: SurveyRequest) -> Sent:
        notice = Notice(
            number=request.number,
            dedupe_key=f"{request.number}:survey:{request.round}:{request.attempt}",
            audience="citizen",
            kind="survey",
            params={"round": str(request.round)},
        )
        return await asyncio.to_thread(self._queue, notice)

    # ---- helpers -------------------------------------------------------------------------

    def _case(self, session: Session, number: str) -> Case:
        case = get_case(session=session, number=number)
        if case is None:
            raise ApplicationError(f"no case numbered '{number}'", non_retryable=True)
        return case

    def _apply(self, session: Session, case: Case, transition: Transition) -> None:
        changes = transition.changes
        for name in (
            "status",
            "lead_unit_code",
            "category_code",
            "supervised",
            "acknowledge_due_at",
            "respond_due_at",
            "resolve_due_at",
            "reply",
            "reopen_count",
            "survey_contacted",
            "survey_resolved",
            "satisfaction",
            "closed_at",
            "description",
            "transcript",
            "awaiting_transcript",
        ):
            value = getattr(changes, name)
            if value is not None:
                setattr(case, name, value)
        if transition.kind == "dispatched" and transition.actor != SMART_DISPATCH:
            self._follow_dispatcher(session, case, changes.lead_unit_code)
        if changes.merged_into_number is not None:
            case.merged_into_id = self._case(session, changes.merged_into_number).id
        assert case.id is not None
        if changes.assisting_unit_codes is not None:
            session.exec(delete(CaseAssistingUnit).where(col(CaseAssistingUnit.case_id) == case.id))  # type: ignore[call-overload]
            for code in changes.assisting_unit_codes:
                session.add(CaseAssistingUnit(case_id=case.id, unit_code=code))
        case.updated_at = transition.at
        session.add(case)

    @staticmethod
    def _follow_dispatcher(session: Session, case: Case, unit_code: str | None) -> None:
        """A person's 派单 to a street or district moves the case's place there, in the same
        write as the dispatch; smart dispatch chose its unit from the stored place."""
        unit = session.get(Unit, unit_code) if unit_code else None
        place = dispatcher_place(case, unit) if unit is not None else None
        if place is None:
            return
        case.district_code, case.street_code = place.district_code, place.street_code
        case.place_method = place.method
        case.place_confidence = place.confidence
        case.place_approximate = place.approximate

    def _queue(self, notice: Notice) -> Sent:
        with session_scope(self.engine) as session:
            sent = self._enqueue(session, notice)
        if sent.sent:
            self.queued()
        return sent

    def _enqueue(self, session: Session, notice: Notice) -> Sent:
        """Write the outbox row, rendered for its recipient; once per dedupe key."""
        existing = session.exec(
            select(Notification.id).where(Notification.dedupe_key == notice.dedupe_key)
        ).first()
        if existing is not None:
            return Sent(sent=False, detail="already queued")
        case = self._case(session, notice.number)
        recipient = self._recipient(session, case, notice)
        if recipient is None:
            return Sent(sent=False, reachable=False, detail="no contact for this case")
        params = {"number": case.number, "reply": case.reply or "", **notice.params}
        if params.get("unit"):  # staff read the unit's name ("朝阳区"), not its code
            unit = session.get(Unit, params["unit"])
            if unit is not None:
                english = recipient.language is Language.en and unit.name_en
                params["unit"] = unit.name_en if english else unit.name_zh
        text = render(notice.kind, recipient.language, params, zone=self.settings.timezone)
        if notice.kind == "survey" and recipient.channel in SURVEY_LINK_CHANNELS:
            round_ = int(notice.params.get("round", "1"))
            link = survey_url(self.settings, case.number, round_, recipient.address)
            line = survey_link_text(recipient.language, link)
            text = with_survey_link(text, line, recipient.channel, self.settings.sms_max_segments)
        assert case.id is not None
        session.add(
            Notification(
                case_id=case.id,
                dedupe_key=notice.dedupe_key,
                audience=notice.audience,
                channel=recipient.channel,
                address=recipient.address,
                language=recipient.language.value,
                queue=activity.info().task_queue,
                kind=notice.kind,
                body=text,
            )
        )
        return Sent(sent=True, detail="queued")

    def _recipient(self, session: Session, case: Case, notice: Notice) -> _Recipient | None:
        language = Language(case.language)
        if notice.audience == "unit":
            return _Recipient(None, notice.unit_code or DISPATCH_CENTRE, Language.zh)
        if notice.audience == "unit_parent":
            unit = session.get(Unit, notice.unit_code) if notice.unit_code else None
            parent = unit.parent_code if unit and unit.parent_code else DISPATCH_CENTRE
            return _Recipient(None, parent, Language.zh)
        if notice.audience == "centre":
            return _Recipient(None, DISPATCH_CENTRE, Language.zh)
        by_kind = reachable_contacts(session=session, case=case)
        case_channel = Channel(case.channel)
        candidates = [
            _Recipient(self._channel_for(case_channel, kind), by_kind[kind], language)
            for kind in REACH_BY_CHANNEL[case_channel]
            if kind in by_kind
        ]
        delivered = [c for c in candidates if self.notifiers.delivers(c.channel)]
        chosen = delivered or candidates
        return chosen[0] if chosen else None

    @staticmethod
    def _channel_for(case_channel: Channel, kind: IdentityKind) -> Channel:
        """The case's own channel when it can carry messages to `kind`, else the one that can."""
        native = NATIVE_IDENTITY.get(case_channel) == kind
        return case_channel if native else IDENTITY_CHANNEL[kind]
