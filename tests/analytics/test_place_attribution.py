"""District and street rankings count a case where its lead street or district is, else at the
place intake stored (a department's case, a case not yet dispatched)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.engine import Engine

from analytics.dimensions import Dimension
from analytics.metrics import Weights, group_metrics, volume
from analytics.periods import PeriodKind, period_for
from tests.analytics.history import add_case, answered, handled, local

CHAOYANG, HAIDIAN, WANGJING, WANSHOULU = "110105", "110108", "110105026", "110108001"
CGW = "D-CGW"
OCTOBER = period_for(PeriodKind.monthly, date(2026, 10, 15), "Asia/Shanghai")
WEIGHTS = Weights(
    response=0.10,
    resolution=0.45,
    satisfaction=0.45,
    on_time=0.0,
    basically_satisfied=1.0,
    min_evaluated=1,
)


@pytest.fixture(scope="module")
def history(history_engine: Engine) -> Engine:
    e = history_engine
    # A department's case in Wangjing: counts for Wangjing and Chaoyang by its stored place.
    add_case(
        e,
        at=local("2026-10-05 09:00"),
        district=CHAOYANG,
        street=WANGJING,
        unit=CGW,
        steps=[*handled(CGW, 10), answered(12, True, True, "satisfied")],
    )
    # Not dispatched yet, place from the address: counts where it is.
    add_case(e, at=local("2026-10-06 09:00"), district=CHAOYANG, street=WANGJING)
    # Dispatched by hand to Wanshoulu with no stored place: counts for Wanshoulu and Haidian.
    add_case(
        e,
        at=local("2026-10-07 09:00"),
        unit=WANSHOULU,
        steps=[*handled(WANSHOULU, 10), answered(12, True, True, "satisfied")],
    )
    return e


def test_the_street_ranking_counts_stored_places_and_lead_streets(history: Engine) -> None:
    assert volume(engine=history, period=OCTOBER, dimension=Dimension.street) == {
        WANGJING: 2,
        WANSHOULU: 1,
    }


def test_the_district_ranking_counts_a_lead_streets_district(history: Engine) -> None:
    assert volume(engine=history, period=OCTOBER, dimension=Dimension.district) == {
        CHAOYANG: 2,
        HAIDIAN: 1,
    }


def test_rates_follow_the_same_attribution(history: Engine) -> None:
    groups = {
        g.key: g
        for g in group_metrics(
            engine=history, period=OCTOBER, dimension=Dimension.street, weights=WEIGHTS
        )
    }
    assert (groups[WANGJING].accepted, groups[WANGJING].evaluated) == (2, 1)
    assert (groups[WANSHOULU].accepted, groups[WANSHOULU].evaluated) == (1, 1)
