"""The three rates, process figures and rankings of a known month, asserted exactly.

October 2026 in three districts. Chaoyang's street 1 resolves everything (one case re-dispatched
after street 2 returned it, one reopened and then answered satisfied); street 2 leaves a citizen
dissatisfied and unreached one. Haidian's department cases are all good; Dongcheng has one
answer just before midnight on 31 October (counted) and one just after (November's).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.engine import Engine

from analytics.dimensions import Dimension
from analytics.metrics import GroupMetrics, Weights, group_metrics, ranking, volume
from analytics.periods import PeriodKind, period_for
from models.enums import Channel
from tests.analytics.history import Step, add_case, answered, handled, local

CHAOYANG, HAIDIAN, DONGCHENG = "110105", "110108", "110101"
STREET_1, STREET_2, WANSHOULU = "110105001", "110105002", "110108001"
CGW, JTW = "D-CGW", "D-JTW"
WEIGHTS = Weights(
    response=0.10,
    resolution=0.45,
    satisfaction=0.45,
    on_time=0.0,
    basically_satisfied=1.0,
    min_evaluated=1,
)
OCTOBER = period_for(PeriodKind.monthly, date(2026, 10, 15), "Asia/Shanghai")
SAT, BASIC, DIS = "satisfied", "basically_satisfied", "dissatisfied"


@pytest.fixture(scope="module")
def history(history_engine: Engine) -> Engine:
    e = history_engine
    # fmt: off
    chaoyang = {"district": CHAOYANG}
    # C1: street 2 returns it, the centre re-dispatches to street 1; resolved after 25 h.
    add_case(e, at=local("2026-10-05 09:00"), street=STREET_1, unit=STREET_1, **chaoyang,
             steps=[Step("dispatched", 1, {"unit": STREET_2}),
                    Step("returned", 2, {"unit": STREET_2, "reason": "not ours"}),
                    Step("dispatched", 3, {"unit": STREET_1}), Step("acknowledged", 4),
                    Step("responded", 5), Step("resolved", 25), Step("callback_started", 26),
                    answered(30, True, True, SAT), Step("closed", 30)])
    # C2: acknowledged late (breach), basically satisfied; 49 h to resolve.
    add_case(e, at=local("2026-10-06 10:00"), street=STREET_1, unit=STREET_1, **chaoyang,
             steps=[Step("dispatched", 1, {"unit": STREET_1}),
                    Step("sla_breach", 5, {"deadline": "acknowledge", "unit": STREET_1}),
                    Step("acknowledged", 6), Step("responded", 7), Step("resolved", 49),
                    answered(50, True, True, BASIC), Step("closed", 50)])
    # C3: dissatisfied and unresolved, reopened, resolved late, then satisfied: the last counts.
    add_case(e, at=local("2026-10-07 08:00"), street=STREET_1, unit=STREET_1, channel=Channel.sms,
             **chaoyang,
             steps=[*handled(STREET_1, 10), answered(12, True, False, DIS),
                    Step("reopened", 12, {"unit": STREET_1}), Step("responded", 13),
                    Step("sla_breach", 100, {"deadline": "resolve", "unit": STREET_1}),
                    Step("resolved", 110), answered(120, True, True, SAT),
                    Step("closed", 120)])
    # C4: not contacted, not solved, dissatisfied; reopened and still open at the month's end.
    add_case(e, at=local("2026-10-08 08:00"), street=STREET_2, unit=STREET_2, channel=Channel.chat,
             **chaoyang,
             steps=[*handled(STREET_2, 20), answered(30, False, False, DIS),
                    Step("reopened", 30, {"unit": STREET_2})])
    # C5: the callback never reached the citizen.
    add_case(e, at=local("2026-10-09 08:00"), street=STREET_2, unit=STREET_2, channel=Channel.web,
             **chaoyang,
             steps=[*handled(STREET_2, 4), Step("survey_unanswered", 60)])
    # Haidian: two department cases, both fine; one from September answered in October.
    haidian = {"district": HAIDIAN, "street": WANSHOULU}
    add_case(e, at=local("2026-10-10 09:00"), unit=CGW, channel=Channel.web, **haidian,
             steps=[*handled(CGW, 8), answered(9, True, True, SAT)])
    add_case(e, at=local("2026-10-11 09:00"), unit=CGW, **haidian,
             steps=[*handled(CGW, 8), answered(9, True, True, SAT)])
    add_case(e, at=local("2026-09-28 09:00"), unit=JTW, district=HAIDIAN, street="110108002",
             steps=[*handled(JTW, 50), answered(100, True, False, BASIC)])
    add_case(e, at=local("2026-09-10 09:00"), unit=JTW, **haidian,
             steps=[*handled(JTW, 50), answered(60, False, False, DIS)])
    # Dongcheng: answers either side of midnight on 31 October, Beijing time.
    dongcheng = {"district": DONGCHENG}
    add_case(e, at=local("2026-10-30 23:30"), unit=DONGCHENG, **dongcheng,
             steps=[*handled(DONGCHENG, 20), answered(24, True, True, SAT)])
    add_case(e, at=local("2026-10-31 00:30"), unit=DONGCHENG, **dongcheng,
             steps=[*handled(DONGCHENG, 20), answered(24, True, True, SAT)])
    add_case(e, at=local("2026-10-20 10:00"), unit=JTW, channel=Channel.chat, **dongcheng,
             steps=[*handled(JTW, 30), answered(40, False, False, DIS)])
    # Accepted either side of the month's end, nothing else yet.
    add_case(e, at=local("2026-10-31 23:50"), channel=Channel.sms, **dongcheng)
    add_case(e, at=local("2026-11-01 00:10"), **chaoyang)
    # fmt: on
    return e


def by_key(groups: list[GroupMetrics]) -> dict[str, GroupMetrics]:
    return {g.key: g for g in groups}


def test_volume_counts_cases_accepted_in_the_local_month(history: Engine) -> None:
    assert volume(engine=history, period=OCTOBER, dimension=Dimension.channel) == {
        "voice": 5,
        "sms": 2,
        "chat": 2,
        "web": 2,
    }
    assert volume(engine=history, period=OCTOBER, dimension=Dimension.district) == {
        CHAOYANG: 5,
        HAIDIAN: 2,
        DONGCHENG: 4,
    }


def test_three_rates_count_each_case_once_with_its_last_answer_in_the_period(
    history: Engine,
) -> None:
    groups = by_key(
        group_metrics(engine=history, period=OCTOBER, dimension=Dimension.district, weights=WEIGHTS)
    )
    chaoyang = groups[CHAOYANG]
    assert (chaoyang.evaluated, chaoyang.unreached) == (4, 1)
    assert (chaoyang.contacted, chaoyang.solved) == (3, 3)
    assert (chaoyang.satisfied, chaoyang.basically_satisfied, chaoyang.dissatisfied) == (2, 1, 1)
    assert (chaoyang.response_rate, chaoyang.resolution_rate, chaoyang.satisfaction_rate) == (
        0.75,
        0.75,
        0.75,
    )
    assert chaoyang.score == 75.0
    haidian = groups[HAIDIAN]  # two October cases and the September one answered in October
    assert (haidian.evaluated, haidian.contacted, haidian.solved) == (3, 3, 2)
    assert (haidian.response_rate, haidian.resolution_rate, haidian.satisfaction_rate) == (
        1.0,
        0.666667,
        1.0,
    )
    assert haidian.score == 85.0
    dongcheng = groups[DONGCHENG]  # the answer at 00:30 on 1 November is November's
    assert (dongcheng.evaluated, dongcheng.contacted, dongcheng.satisfied) == (2, 1, 1)
    assert dongcheng.score == 50.0


def test_process_figures_per_unit(history: Engine) -> None:
    groups = by_key(
        group_metrics(engine=history, period=OCTOBER, dimension=Dimension.unit, weights=WEIGHTS)
    )
    one, two = groups[STREET_1], groups[STREET_2]
    assert (one.accepted, one.dispatched, one.returns, one.redispatches) == (3, 3, 0, 1)
    assert one.breaches == {"acknowledge": 1, "respond": 0, "resolve": 1}
    assert one.on_time_rate == {"acknowledge": 0.666667, "respond": 1.0, "resolve": 0.666667}
    assert (one.resolved, one.reopened, one.reopen_rate) == (3, 1, 0.333333)
    assert one.avg_handling_hours == 28.0  # (25 + 49 + 10) / 3: first resolution counts
    assert (one.evaluated, one.score) == (3, 100.0)
    # street 2 returned C1: the return is held against street 2, which did not keep the case
    assert (two.accepted, two.dispatched, two.returns, two.redispatches) == (2, 2, 1, 0)
    assert (two.resolved, two.reopened, two.reopen_rate) == (2, 1, 0.5)
    assert two.avg_handling_hours == 12.0
    assert (two.evaluated, two.unreached, two.score) == (1, 1, 0.0)
    assert groups[JTW].accepted == 1  # the October Dongcheng case; September's are not
    assert groups[STREET_1].name == "建外街道"


def test_district_ranking(history: Engine) -> None:
    ranked = ranking(engine=history, period=OCTOBER, dimension=Dimension.district, weights=WEIGHTS)
    assert [(g.key, g.rank, g.score) for g in ranked] == [
        (HAIDIAN, 1, 85.0),
        (CHAOYANG, 2, 75.0),
        (DONGCHENG, 3, 50.0),
    ]
    assert [g.name for g in ranked] == ["海淀区", "朝阳区", "东城区"]


def test_street_ranking_shares_a_rank_on_equal_scores(history: Engine) -> None:
    ranked = ranking(engine=history, period=OCTOBER, dimension=Dimension.street, weights=WEIGHTS)
    assert [(g.key, g.rank, g.score) for g in ranked] == [
        (STREET_1, 1, 100.0),  # three evaluated cases before two
        (WANSHOULU, 1, 100.0),
        ("110108002", 3, 55.0),
        (STREET_2, 4, 0.0),
    ]


def test_department_ranking_leaves_out_territorial_units(history: Engine) -> None:
    ranked = ranking(
        engine=history, period=OCTOBER, dimension=Dimension.department, weights=WEIGHTS
    )
    # JTW: the September case answered in October (contacted, unsolved, basically satisfied)
    # and Dongcheng's (nothing): response 1/2, resolution 0, satisfaction 1/2.
    assert [(g.key, g.rank, g.score) for g in ranked] == [(CGW, 1, 100.0), (JTW, 2, 27.5)]


def test_weights_change_the_ranking(history: Engine) -> None:
    resolution_only = Weights(0, 1, 0, 0, 1.0, 1)
    ranked = ranking(
        engine=history, period=OCTOBER, dimension=Dimension.district, weights=resolution_only
    )
    assert [(g.key, g.score) for g in ranked] == [
        (CHAOYANG, 75.0),
        (HAIDIAN, 66.666667),
        (DONGCHENG, 50.0),
    ]
    strict = Weights(0, 0, 1, 0, 0.0, 1)  # 基本满意 not counted as satisfied
    ranked = ranking(engine=history, period=OCTOBER, dimension=Dimension.district, weights=strict)
    assert [(g.key, g.score) for g in ranked] == [
        (HAIDIAN, 66.666667),
        (CHAOYANG, 50.0),  # ties: more evaluated cases first
        (DONGCHENG, 50.0),
    ]


def test_minimum_evaluated_cases_to_be_ranked(history: Engine) -> None:
    weights = Weights(0.1, 0.45, 0.45, 0, 1.0, 3)
    ranked = ranking(engine=history, period=OCTOBER, dimension=Dimension.district, weights=weights)
    assert [g.key for g in ranked] == [HAIDIAN, CHAOYANG]
