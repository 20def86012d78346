"""A supervisor's 改派 (`redispatched`) counts as a re-dispatch, like a second `dispatched`."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from analytics.dimensions import Dimension
from analytics.metrics import Weights, group_metrics
from analytics.periods import PeriodKind, period_for
from core.settings import Settings
from tests.analytics.history import Step, add_case, local

OCTOBER = period_for(PeriodKind.monthly, date(2026, 10, 1), "Asia/Shanghai")
CHAOYANG_STREET, HAIDIAN_STREET = "110105001", "110108001"


def test_a_supervisors_redispatch_is_counted(history_engine: Engine) -> None:
    steps = [
        Step("dispatched", 1, {"unit": CHAOYANG_STREET}),
        Step("urged", 5, {"unit": CHAOYANG_STREET, "note": "n"}),
        Step("redispatched", 6, {"unit": HAIDIAN_STREET, "from_unit": CHAOYANG_STREET}),
    ]
    add_case(history_engine, at=local("2026-10-05 09:00"), steps=steps, district="110108",
             street=HAIDIAN_STREET, unit=HAIDIAN_STREET, category="04.02.003")  # fmt: skip
    groups = group_metrics(
        engine=history_engine,
        period=OCTOBER,
        dimension=Dimension.unit,
        weights=Weights.from_settings(Settings(_env_file=None)),  # type: ignore[call-arg]
    )
    [haidian] = [g for g in groups if g.key == HAIDIAN_STREET]
    assert (haidian.dispatched, haidian.redispatches) == (1, 1)
