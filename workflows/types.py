"""One dataclass in, one out, for the case workflow, its messages and its activities.

Fields may be added (with defaults) without breaking running workflows; never rename or
remove one. Nothing here imports anything with side effects: workflows import this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from models.enums import CaseStatus, Channel, Satisfaction, Urgency

TERMINAL = frozenset({CaseStatus.closed, CaseStatus.withdrawn, CaseStatus.merged})
# The actor of smart dispatch's own events; any other actor of a dispatch is a person.
SMART_DISPATCH = "smart-dispatch"
# A unit is working on the case in these states; its resolve deadline runs.
UNIT_HANDLING = frozenset(
    {CaseStatus.dispatched, CaseStatus.acknowledged, CaseStatus.in_progress, CaseStatus.reopened}
)


@dataclass
class Policy:
    """Deadlines and limits for one case, fixed by its category and urgency at dispatch."""

    acknowledge_hours: float = 4
    respond_hours: float = 24
    resolve_working_days: int = 7
    max_extension_working_days: int = 15
    callback_attempts: int = 3
    callback_retry_hours: float = 16  # 3 attempts over about two days


@dataclass
class Deadlines:
    acknowledge_due_at: datetime | None = None
    respond_due_at: datetime | None = None
    resolve_due_at: datetime | None = None


@dataclass
class TimelineEntry:
    kind: str
    actor: str
    at: datetime
    from_status: CaseStatus | None = None
    to_status: CaseStatus | None = None
    detail: str = ""


@dataclass
class PendingExtension:
    working_days: int
    reason: str
    requested_by: str


@dataclass
class CaseState:
    """Everything the workflow knows; carried whole across continue-as-new."""

    number: str
    channel: Channel
    status: CaseStatus = CaseStatus.accepted
    urgency: Urgency = Urgency.normal
    category_code: str | None = None
    lead_unit_code: str | None = None
    assisting_unit_codes: list[str] = field(default_factory=list)
    policy: Policy = field(default_factory=Policy)
    deadlines: Deadlines = field(default_factory=Deadlines)
    dispatched_at: datetime | None = None
    breached: list[str] = field(default_factory=list)  # deadline names already escalated
    supervised: bool = False
    extension_days_granted: int = 0
    pending_extension: PendingExtension | None = None
    reply: str | None = None
    reopen_count: int = 0
    callback_round: int = 0
    survey_answer_keys: list[str] = field(default_factory=list)
    message_keys: list[str] = field(default_factory=list)  # citizen messages already recorded
    # Cases merged into this one (并案): their citizens get this case's reply and survey.
    merged_numbers: list[str] = field(default_factory=list)
    # "<merged case>:<round>" whose citizen's survey answer is recorded: one each per round.
    merged_survey_answered: list[str] = field(default_factory=list)
    satisfaction: Satisfaction | None = None
    event_seq: int = 0  # numbers events so a retried activity writes each only once
    timeline: list[TimelineEntry] = field(default_factory=list)
    # A voicemail nobody has transcribed yet; smart dispatch runs once a person has (if on).
    awaiting_transcript: bool = False
    smart_dispatch_after_transcript: bool = False


@dataclass
class CaseInput:
    number: str
    channel: Channel
    urgency: Urgency = Urgency.normal
    category_code: str | None = None
    use_search_attributes: bool = False
    smart_dispatch: bool = False
    state: CaseState | None = None  # set only when continuing as new
    awaiting_transcript: bool = False  # the description is a voicemail's placeholder


@dataclass
class CaseOutcome:
    number: str
    status: CaseStatus
    satisfaction: Satisfaction | None


# ---- staff actions (updates) -------------------------------------------------------------


@dataclass
class Dispatch:
    actor: str
    unit_code: str
    assisting_unit_codes: list[str] = field(default_factory=list)
    category_code: str | None = None
    note: str = ""


@dataclass
class UnitAction:
    """Acknowledge (签收) or first contact (响应) by the unit that holds the case."""

    actor: str
    unit_code: str
    note: str = ""


@dataclass
class ReturnCase:
    actor: str
    unit_code: str
    reason: str


@dataclass
class Overrule:
    actor: str
    reason: str


@dataclass
class ExtensionRequest:
    actor: str
    unit_code: str
    working_days: int
    reason: str


@dataclass
class ExtensionDecision:
    actor: str
    approve: bool
    note: str = ""


@dataclass
class Resolve:
    actor: str
    unit_code: str
    reply: str


@dataclass
class AnswerDirectly:
    actor: str
    reply: str


@dataclass
class Merge:
    actor: str
    master_number: str


@dataclass
class Supervise:
    """督办: a supervisor flags the case for supervision, with a note the unit reads."""

    actor: str
    note: str


@dataclass
class Urge:
    """催办: a supervisor urges the unit holding the case; the unit is notified."""

    actor: str
    note: str


@dataclass
class Redispatch:
    """改派: a supervisor moves a case from the unit holding it to another, with a reason."""

    actor: str
    unit_code: str
    reason: str


@dataclass
class Transcribe:
    """What a person heard on a voicemail's recording: it becomes the case's description."""

    actor: str
    text: str


@dataclass
class ActionResult:
    number: str
    status: CaseStatus


# ---- citizen messages (signals) ----------------------------------------------------------


@dataclass
class CitizenDetails:
    text: str
    channel: Channel
    message_key: str = ""


@dataclass
class Withdraw:
    """撤回: by the citizen (actor "citizen") or by staff on their behalf (actor = the user)."""

    reason: str = ""
    actor: str = "citizen"
    channel: str = ""  # where the citizen asked (sms, chat, web); empty: staff on their behalf


# A case may be withdrawn until the unit's answer is in: these states, and no later.
WITHDRAWABLE = UNIT_HANDLING | {CaseStatus.accepted, CaseStatus.returned}


@dataclass
class SurveyAnswer:
    """回访: the three questions; `answer_key` makes a re-delivered answer count once."""

    answer_key: str
    contacted: bool
    resolved: bool
    satisfaction: Satisfaction
    # Set when the citizen of a case merged into this one answers this case's survey: recorded
    # beside the master citizen's answer, never in its place.
    merged_number: str = ""


@dataclass
class DuplicateMerged:
    duplicate_number: str


# ---- the callback child workflow ---------------------------------------------------------


@dataclass
class CallbackInput:
    number: str
    round: int
    attempts: int
    retry_hours: float
    early_answer: SurveyAnswer | None = None


@dataclass
class CallbackResult:
    answer: SurveyAnswer | None  # None: no answer after every attempt (未评价)
    attempts_made: int


# ---- activities --------------------------------------------------------------------------


@dataclass
class CaseChanges:
    """Columns of the case row to set; None leaves a column as it is."""

    status: CaseStatus | None = None
    lead_unit_code: str | None = None
    assisting_unit_codes: list[str] | None = None
    category_code: str | None = None
    supervised: bool | None = None
    acknowledge_due_at: datetime | None = None
    respond_due_at: datetime | None = None
    resolve_due_at: datetime | None = None
    reply: str | None = None
    reopen_count: int | None = None
    survey_contacted: bool | None = None
    survey_resolved: bool | None = None
    satisfaction: Satisfaction | None = None
    closed_at: datetime | None = None
    merged_into_number: str | None = None
    description: str | None = None
    transcript: str | None = None
    awaiting_transcript: bool | None = None


@dataclass
class Transition:
    number: str
    dedupe_key: str
    kind: str
    actor: str
    at: datetime
    from_status: CaseStatus | None = None
    to_status: CaseStatus | None = None
    payload: dict[str, str] = field(default_factory=dict)
    changes: CaseChanges = field(default_factory=CaseChanges)


@dataclass
class DeadlinePlan:
    """Deadlines the step plans from `start` on the case's policy, and which of them it writes
    on the case (all three at a dispatch; only the resolve deadline at a reopen or extension)."""

    start: datetime
    extension_working_days: int = 0
    fields: list[str] = field(
        default_factory=lambda: ["acknowledge_due_at", "respond_due_at", "resolve_due_at"]
    )


@dataclass
class Step:
    """One transition as one activity, one transaction: the checks it needs, the policy and
    deadlines it plans, its event and case row, and the notices it queues in the outbox."""

    transition: Transition
    notices: list[Notice] = field(default_factory=list)
    unit_codes: list[str] = field(default_factory=list)  # must be known and active
    master_number: str | None = None  # must exist and be open (a merge)
    policy: PolicyRequest | None = None  # a new category's policy, loaded first
    current_policy: Policy | None = None  # else deadlines are planned on this one
    plan: DeadlinePlan | None = None


@dataclass
class StepResult:
    policy: Policy | None = None  # set when the step loaded a new one
    deadlines: Deadlines | None = None  # set when the step planned them


@dataclass
class PolicyRequest:
    category_code: str | None
    urgency: Urgency


@dataclass
class DeadlineRequest:
    start: datetime
    policy: Policy
    extension_working_days: int = 0


@dataclass
class SuggestedCategory:
    category_code: str
    probability: float
    unit_code: str | None
    reason: str


@dataclass
class DispatchAdvice:
    """Smart dispatch's answer for one case: dispatch on its own, or leave it to a person."""

    automatic: bool
    reason: str
    suggestions: list[SuggestedCategory] = field(default_factory=list)
    # When automatic: the unit (the top category's, or the one its likeliest categories share)
    # and the category to file the case under if it has none (None: leave it unfiled).
    unit_code: str | None = None
    category_code: str | None = None

    @property
    def top(self) -> SuggestedCategory | None:
        return self.suggestions[0] if self.suggestions else None


@dataclass
class UnitCheck:
    unit_codes: list[str]


@dataclass
class Notice:
    """A message to send through the `Notifier` port; sent at most once per `dedupe_key`."""

    number: str
    dedupe_key: str
    audience: str  # "citizen" or "unit"
    kind: str
    unit_code: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    # A deadline the step plans (`Deadlines` field name) goes in as the `due` parameter.
    due_from: str = ""


@dataclass
class SurveyRequest:
    number: str
    round: int
    attempt: int


@dataclass
class Sent:
    sent: bool  # False: already sent before (a retry), or nobody to send to
    reachable: bool = True  # False: the citizen left no way to reach them
    detail: str = ""
