"""`hotline case withdraw`: 撤回 on the citizen's behalf from a terminal, through the staff API's
own path (the same roles, the reason recorded); an unknown user is refused and nothing
happens."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from core.settings import Settings
from models.enums import CaseStatus, StaffRole
from tests.cli.test_case_identity import _case, _new_case, _said
from tests.utils.cases import case_row, events
from tests.utils.staff import CHAOYANG, make_staff

REASON = "The citizen called: the neighbours fixed it themselves."


def test_withdraw_as_an_unknown_user_or_a_role_it_is_not_for_is_refused(
    api_url: str, engine: Engine, settings: Settings
) -> None:
    number = _new_case(api_url)
    nobody = _case(settings, "withdraw", number, "--reason", REASON, "--as", "nobody-at-all")
    assert nobody.returncode == 2, nobody.stdout + nobody.stderr
    assert "refused: 'nobody-at-all' is not an active staff user" in _said(nobody)
    # The unit holding the case may not withdraw it: only the centre, for the citizen.
    sent = _case(settings, "dispatch", number, "--unit", CHAOYANG, "--as-system")
    assert sent.returncode == 0, sent.stdout + sent.stderr
    handler = make_staff(engine, StaffRole.unit_handler, CHAOYANG).username
    refused = _case(settings, "withdraw", number, "--reason", REASON, "--as", handler)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "refused: the unit_handler role may not withdraw cases" in _said(refused)
    assert [e.kind for e in events(engine, number)] == ["accepted", "dispatched"]
    assert case_row(engine, number).status == CaseStatus.dispatched


def test_a_dispatcher_withdraws_for_the_citizen_with_the_reason(
    api_url: str, engine: Engine, settings: Settings
) -> None:
    number = _new_case(api_url)
    dispatcher = make_staff(engine, StaffRole.dispatcher).username
    done = _case(settings, "withdraw", number, "--reason", REASON, "--as", dispatcher)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"case {number} is now withdrawn (by {dispatcher})" in _said(done)
    [event] = [e for e in events(engine, number) if e.kind == "withdrawn"]
    assert (event.actor, event.payload["reason"]) == (dispatcher, REASON)

    again = _case(settings, "withdraw", number, "--reason", REASON, "--as", dispatcher)
    assert again.returncode == 1, again.stdout + again.stderr
    assert f"refused: case {number} is withdrawn and can no longer be withdrawn" in _said(again)
