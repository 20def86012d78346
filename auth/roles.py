"""Who may do what: one table of staff actions by role, and the unit handler's one-unit rule.

Both the staff API and the console ask these functions, so the rules are the same whichever
door a staff member comes through; the case workflow then checks the case's own state.
"""

from __future__ import annotations

from enum import StrEnum

from models.case import Case
from models.enums import StaffRole
from models.staff import StaffUser


class StaffAction(StrEnum):
    intake = "intake"  # take a phone-in request on a caller's behalf
    answer = "answer"  # 直接答复
    merge = "merge"
    dispatch = "dispatch"
    overrule = "overrule"  # arbitrate a return: back to the same unit
    acknowledge = "acknowledge"
    return_case = "return"
    respond = "respond"
    extend = "extend"  # ask for an extension
    decide_extension = "decide_extension"
    resolve = "resolve"
    supervise = "supervise"  # 督办: flag with a note
    urge = "urge"  # 催办: notify the unit
    redispatch = "redispatch"  # 改派: move a dispatched case to another unit
    withdraw = "withdraw"  # 撤回 on the citizen's behalf, with the reason they gave


_R = StaffRole
ALLOWED: dict[StaffAction, frozenset[StaffRole]] = {
    StaffAction.intake: frozenset({_R.operator, _R.dispatcher, _R.admin}),
    StaffAction.answer: frozenset({_R.operator, _R.dispatcher, _R.admin}),
    StaffAction.merge: frozenset({_R.operator, _R.dispatcher, _R.supervisor, _R.admin}),
    StaffAction.dispatch: frozenset({_R.dispatcher, _R.supervisor, _R.admin}),
    StaffAction.overrule: frozenset({_R.dispatcher, _R.supervisor, _R.admin}),
    StaffAction.acknowledge: frozenset({_R.unit_handler, _R.admin}),
    StaffAction.return_case: frozenset({_R.unit_handler, _R.admin}),
    StaffAction.respond: frozenset({_R.unit_handler, _R.admin}),
    StaffAction.extend: frozenset({_R.unit_handler, _R.admin}),
    StaffAction.decide_extension: frozenset({_R.supervisor, _R.admin}),
    StaffAction.resolve: frozenset({_R.unit_handler, _R.admin}),
    # Supervision is the supervisors' (and admin's): a dispatcher works the queue and gets a
    # unit's wrong case back by its return (退单), not by taking it away from the unit.
    StaffAction.supervise: frozenset({_R.supervisor, _R.admin}),
    StaffAction.urge: frozenset({_R.supervisor, _R.admin}),
    StaffAction.redispatch: frozenset({_R.supervisor, _R.admin}),
    # The centre's people a citizen calls back to withdraw; never the unit holding the case.
    StaffAction.withdraw: frozenset({_R.operator, _R.dispatcher, _R.supervisor, _R.admin}),
}
SUPERVISOR_ACTIONS = (StaffAction.supervise, StaffAction.urge, StaffAction.redispatch)
UNIT_ACTIONS = frozenset(
    {
        StaffAction.acknowledge,
        StaffAction.return_case,
        StaffAction.respond,
        StaffAction.extend,
        StaffAction.resolve,
    }
)


class NotPermitted(PermissionError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def may(user: StaffUser, action: StaffAction) -> bool:
    return user.role in ALLOWED[action]


def actions_for(user: StaffUser) -> list[StaffAction]:
    return [action for action in StaffAction if may(user, action)]


def require(user: StaffUser, action: StaffAction) -> None:
    if not may(user, action):
        raise NotPermitted(f"the {user.role} role may not {action.value} cases")


def own_unit(user: StaffUser) -> str | None:
    """The one unit whose cases this user is limited to; None: every case."""
    return user.unit_code if user.role == StaffRole.unit_handler else None


# Reports (analytics): the centre's roles read the city's figures, dispatchers too (they see
# every case already); a unit handler reads their own unit's; operators take calls, no reports.
REPORT_ROLES = frozenset({_R.dispatcher, _R.supervisor, _R.unit_handler, _R.admin})


def report_unit(user: StaffUser) -> str | None:
    """The unit whose reports this user is limited to; None: the city's (or any unit's)."""
    if user.role not in REPORT_ROLES:
        raise NotPermitted(
            f"the {user.role} role may not read reports: they are for dispatchers, "
            "supervisors, admins and unit handlers"
        )
    return own_unit(user)


def can_see(user: StaffUser, case: Case) -> bool:
    unit = own_unit(user)
    return unit is None or case.lead_unit_code == unit


def acting_unit(user: StaffUser, case: Case, requested: str | None) -> str:
    """The unit a unit action is taken for: a handler's own, or (admin) the one named."""
    unit = own_unit(user)
    if unit is not None:
        if requested and requested != unit:
            raise NotPermitted(f"you act for unit {unit} only, not {requested}")
        return unit
    chosen = requested or case.lead_unit_code
    if not chosen:
        raise NotPermitted("name the unit to act for")
    return chosen
