"""未诉先办: find the category and district whose calls jumped today, and tell the unit first.

A day's count for one (category, district) is compared with the same weekday of the weeks
before (weekly rhythm: Mondays are busy, Sundays quiet). The baseline is the median of those
days, robust against an earlier spike; the day is a spike when it is big enough in absolute
terms, a multiple of the baseline, and unlikely under a Poisson count with that mean. Each
spike is recorded in `spike_alerts` (unique per day, category and district) in the same
transaction as its notice in the `notifications` outbox, which the outbox sender delivers to the
unit's console inbox, so running the detection again (every hour, or after a crash) never alerts
the same spike twice and an alert once recorded is never lost.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pydantic import BaseModel
from scipy.special import gammainc
from sqlalchemy import func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from analytics.periods import PeriodKind, period_for
from analytics.sql import as_date, columns, local_day
from core.clock import utcnow
from core.i18n import S_, Domain, gettext_for
from core.settings import Settings
from models import Case, Category, Notification, SpikeAlert, Unit
from models.enums import Language

cases = columns(Case)
categories = columns(Category)
units = columns(Unit)

MAD_SCALE = 1.4826  # makes the median absolute deviation comparable with a standard deviation
MIN_BASELINE = 1.0  # a category never seen before is compared with one call a day


@dataclass(frozen=True)
class SpikeRules:
    baseline_weeks: int
    min_count: int
    min_ratio: float
    max_p_value: float

    @classmethod
    def from_settings(cls, settings: Settings) -> SpikeRules:
        return cls(
            baseline_weeks=settings.spike_baseline_weeks,
            min_count=settings.spike_min_count,
            min_ratio=settings.spike_min_ratio,
            max_p_value=settings.spike_max_p_value,
        )


class Spike(BaseModel):
    day: date
    category_code: str
    category_name: str
    area_code: str
    area_name: str
    count: int
    history: list[int]  # the same weekday, most recent week first
    baseline: float
    ratio: float
    p_value: float
    robust_z: float | None  # None when the history does not vary
    unit_code: str  # the unit that handled most of the day's cases, else the district


def detect_spikes(*, engine: Engine, day: date, rules: SpikeRules, timezone: str) -> list[Spike]:
    """The day's spikes, biggest excess over the baseline first."""
    days = [day - timedelta(weeks=week) for week in range(rules.baseline_weeks + 1)]
    counts = _daily_counts(engine, days, timezone)
    spikes: list[Spike] = []
    for (category, area), by_day in counts.items():
        count = by_day.get(day, 0)
        if count < rules.min_count:
            continue
        history = [by_day.get(previous, 0) for previous in days[1:]]
        baseline = float(statistics.median(history))
        expected = max(baseline, MIN_BASELINE)
        ratio = count / expected
        p_value = float(gammainc(count, expected))  # Poisson P(X >= count), exact in the tail
        if ratio < rules.min_ratio or p_value > rules.max_p_value:
            continue
        mad = statistics.median(abs(n - baseline) for n in history)
        spikes.append(
            Spike(
                day=day,
                category_code=category,
                category_name="",
                area_code=area,
                area_name="",
                count=count,
                history=history,
                baseline=baseline,
                ratio=round(ratio, 6),
                p_value=p_value,
                robust_z=round((count - baseline) / (MAD_SCALE * mad), 6) if mad else None,
                unit_code=area,
            )
        )
    spikes.sort(key=lambda s: (-(s.count - s.baseline), s.category_code, s.area_code))
    _fill_names_and_units(engine, spikes, timezone)
    return spikes


def _daily_counts(
    engine: Engine, days: list[date], timezone: str
) -> dict[tuple[str, str], dict[date, int]]:
    """Cases per category, district and local day, for just the days compared."""
    windows = [period_for(PeriodKind.daily, d, timezone) for d in days]
    day_of = local_day(engine, cases.created_at, timezone)
    query = (
        select(
            cases.category_code,
            cases.district_code,
            day_of.label("day"),
            func.count().label("n"),
        )
        .where(
            or_(*[(cases.created_at >= w.start) & (cases.created_at < w.end) for w in windows]),
            cases.category_code.is_not(None),
            cases.district_code.is_not(None),
        )
        .group_by(cases.category_code, cases.district_code, day_of)
    )
    counts: dict[tuple[str, str], dict[date, int]] = defaultdict(dict)
    with engine.connect() as connection:
        for row in connection.execute(query):
            counts[(row.category_code, row.district_code)][as_date(row.day)] = int(row.n)
    return counts


def _fill_names_and_units(engine: Engine, spikes: list[Spike], timezone: str) -> None:
    if not spikes:
        return
    window = period_for(PeriodKind.daily, spikes[0].day, timezone)
    with Session(engine) as session:
        category_names = dict(
            session.execute(
                select(categories.code, categories.name_zh).where(
                    categories.code.in_({s.category_code for s in spikes})
                )
            ).all()
        )
        area_names = dict(
            session.execute(
                select(units.code, units.name_zh).where(
                    units.code.in_({s.area_code for s in spikes})
                )
            ).all()
        )
        for spike in spikes:
            spike.category_name = category_names.get(spike.category_code, spike.category_code)
            spike.area_name = area_names.get(spike.area_code, spike.area_code)
            handler = session.execute(
                select(cases.lead_unit_code, func.count().label("n"))
                .where(
                    cases.category_code == spike.category_code,
                    cases.district_code == spike.area_code,
                    cases.created_at >= window.start,
                    cases.created_at < window.end,
                    cases.lead_unit_code.is_not(None),
                )
                .group_by(cases.lead_unit_code)
                .order_by(func.count().desc(), cases.lead_unit_code)
                .limit(1)
            ).first()
            if handler is not None:
                spike.unit_code = handler[0]


# ---- alerts ------------------------------------------------------------------------------

ALERT_TEXT = S_(
    "Early warning: {count} requests about '{category}' in {area} on {day}, against a "
    "usual {baseline:g} ({ratio:.1f} times). Please act before more calls come in."
)


ALERT_KEY_PREFIX = "spike:"


def alert_key(spike: Spike) -> str:
    """The alert's outbox dedupe key, and its name where a case number would stand."""
    return f"{ALERT_KEY_PREFIX}{spike.day.isoformat()}:{spike.category_code}:{spike.area_code}"


def recorded_alert_of(session: Session, key: str) -> SpikeAlert | None:
    """The `spike_alerts` row an alert's notice was queued for (by its dedupe key)."""
    parts = key.removeprefix(ALERT_KEY_PREFIX).split(":")
    if not key.startswith(ALERT_KEY_PREFIX) or len(parts) != 3:
        return None
    try:
        day = date.fromisoformat(parts[0])
    except ValueError:
        return None
    query = select(SpikeAlert).where(
        col(SpikeAlert.day) == day,
        col(SpikeAlert.category_code) == parts[1],
        col(SpikeAlert.area_code) == parts[2],
    )
    return session.execute(query).scalars().first()


def alert_params(alert: SpikeAlert, *, area: str, category: str) -> dict[str, object]:
    """ALERT_TEXT's parameters for a recorded alert, with the area and category as named."""
    ratio = alert.count / max(alert.baseline, 1.0)  # as detect_spikes computes it
    return {
        "area": area,
        "category": category,
        "day": alert.day.isoformat(),
        "count": alert.count,
        "baseline": alert.baseline,
        "ratio": ratio,
    }


def alert_spikes(
    *, engine: Engine, spikes: list[Spike], queue: str, language: Language = Language.zh
) -> list[Spike]:
    """Queue a notice to each new spike's unit (its console inbox), once per spike; returns
    the spikes queued by this call. `queue`: the task queue whose outbox senders send it."""
    return [spike for spike in spikes if _queue_alert(engine, spike, queue, language)]


def _queue_alert(engine: Engine, spike: Spike, queue: str, language: Language) -> bool:
    """The alert's row and its outbox notice in one transaction; False when queued before.

    `notified_at` is when the notice was queued: from there the outbox sender delivers it,
    retrying as it does every notice."""
    key = (
        col(SpikeAlert.day) == spike.day,
        col(SpikeAlert.category_code) == spike.category_code,
        col(SpikeAlert.area_code) == spike.area_code,
    )
    text = gettext_for(language, Domain.staff)(ALERT_TEXT).format(
        area=spike.area_name,
        category=spike.category_name,
        day=spike.day.isoformat(),
        count=spike.count,
        baseline=spike.baseline,
        ratio=spike.ratio,
    )
    with Session(engine) as session:
        alert = session.execute(select(SpikeAlert).where(*key)).scalars().first()
        if alert is not None and alert.notified_at is not None:
            return False  # told before
        if alert is None:
            alert = SpikeAlert(
                day=spike.day,
                category_code=spike.category_code,
                area_code=spike.area_code,
                count=spike.count,
                baseline=spike.baseline,
                p_value=spike.p_value,
                unit_code=spike.unit_code,
            )
        alert.notified_at = utcnow()
        session.add(alert)
        session.add(
            Notification(
                case_id=None,
                dedupe_key=alert_key(spike),
                audience="unit",
                channel=None,
                address=alert.unit_code,
                language=language.value,
                queue=queue,
                kind="spike_alert",
                body=text,
            )
        )
        try:
            session.commit()
        except IntegrityError:
            return False  # another run queued it a moment ago
    return True


class AlertRecord(BaseModel):
    """A recorded alert as the API shows it."""

    day: date
    category_code: str
    area_code: str
    count: int
    baseline: float
    p_value: float
    unit_code: str
    created_at: datetime
    notified_at: datetime | None


def recorded_alerts(*, engine: Engine, since: date) -> list[SpikeAlert]:
    with Session(engine) as session:
        query = (
            select(SpikeAlert)
            .where(col(SpikeAlert.day) >= since)
            .order_by(col(SpikeAlert.day).desc(), col(SpikeAlert.id))
        )
        return list(session.execute(query).scalars().all())
