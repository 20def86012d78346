"""每月一题: the categories and districts that rose most, and clusters of similar requests."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.engine import Engine

from analytics.dimensions import Dimension
from analytics.periods import PeriodKind, period_for
from analytics.topics import TopicTexts, clusters, rising
from models.enums import Language
from tests.analytics.history import add_case, local

HEATING, NOISE, PARKING, LIGHTS = "16.05.001", "04.02.003", "01.02.012", "01.04.001"
CHAOYANG, HAIDIAN = "110105", "110108"
OCTOBER = period_for(PeriodKind.monthly, date(2026, 10, 1), "Asia/Shanghai")

HEATING_TEXTS = [
    "家里暖气不热，室温只有十五度",
    "暖气不热，老人在家里冷得受不了",
    "我们楼的暖气一直不热，家里很冷",
    "暖气片不热，孩子在家里冻感冒了",
    "供暖开始好几天了暖气还是不热",
    "暖气不热，家里冷，请热力公司来看看",
]
NOISE_TEXTS = [
    "楼下广场舞音响声音太大，噪音扰民",
    "广场舞噪音太大，每天晚上吵到十点",
    "小区广场舞音响噪音扰民，老人睡不着",
    "公园广场舞的音响噪音太大了",
    "广场舞噪音扰民，希望管一管音响音量",
]
PARKING_TEXTS = [
    "Cars parked on the fire lane block the gate of our compound",
    "Illegal parking blocks the fire lane every night",
    "Someone keeps parking on the fire lane, an ambulance could not get in",
    "The fire lane is blocked by parked cars again",
]
OTHER_TEXTS = ["路灯坏了", "公交车改线了不方便", "医保报销怎么办理"]


@pytest.fixture(scope="module")
def history(history_engine: Engine) -> dict[str, list[str]]:
    e = history_engine
    numbers: dict[str, list[str]] = {"heating": [], "noise": [], "parking": []}
    for day, text in enumerate(HEATING_TEXTS, start=1):
        at = local(f"2026-10-{day:02d} 09:00")
        numbers["heating"].append(
            add_case(e, at=at, description=text, category=HEATING, district=CHAOYANG)
        )
    for day, text in enumerate(NOISE_TEXTS, start=1):
        at = local(f"2026-10-{day:02d} 10:00")
        numbers["noise"].append(
            add_case(e, at=at, description=text, category=NOISE, district=HAIDIAN)
        )
    for day, text in enumerate(PARKING_TEXTS, start=1):
        at = local(f"2026-10-{day:02d} 11:00")
        numbers["parking"].append(
            add_case(
                e,
                at=at,
                description=text,
                category=PARKING,
                district=CHAOYANG,
                language=Language.en,
            )
        )
    for day, text in enumerate(OTHER_TEXTS, start=1):
        add_case(e, at=local(f"2026-10-{day:02d} 12:00"), description=text, category=LIGHTS)
    # September: one heating call, five about noise, three about street lights.
    add_case(e, at=local("2026-09-20 09:00"), category=HEATING, district=CHAOYANG)
    for day in range(1, 6):
        add_case(e, at=local(f"2026-09-{day:02d} 09:00"), category=NOISE, district=HAIDIAN)
    for day in range(1, 4):
        add_case(e, at=local(f"2026-09-{day:02d} 10:00"), category=LIGHTS)
    return numbers


def test_categories_that_rose_most(history: dict[str, list[str]], history_engine: Engine) -> None:
    rises = rising(engine=history_engine, period=OCTOBER, dimension=Dimension.category)
    assert [(r.key, r.count, r.previous, r.change, r.ratio) for r in rises] == [
        (HEATING, 6, 1, 5, 6.0),
        (PARKING, 4, 0, 4, None),
    ]  # noise (five and five) and street lights (three and three) did not rise
    assert rises[0].name == "暖气不热"


def test_districts_that_rose_most(history: dict[str, list[str]], history_engine: Engine) -> None:
    rises = rising(engine=history_engine, period=OCTOBER, dimension=Dimension.district)
    assert [(r.key, r.count, r.previous, r.change) for r in rises] == [(CHAOYANG, 10, 1, 9)]


def test_similar_requests_cluster_in_either_language(
    history: dict[str, list[str]], history_engine: Engine
) -> None:
    topics = clusters(engine=history_engine, period=OCTOBER)
    found = topics.clusters
    members = [sorted(e.number for e in c.examples) for c in found]
    assert [c.size for c in found] == [6, 5, 4]
    assert [c.categories for c in found] == [{HEATING: 6}, {NOISE: 5}, {PARKING: 4}]
    assert "不热" in found[0].terms and "噪音" in found[1].terms and "fire" in found[2].terms
    for cluster, group in zip(members, ("heating", "noise", "parking"), strict=True):
        assert len(cluster) == 3
        assert set(cluster) <= set(history[group])
    assert topics.texts == TopicTexts(total=18, read=18, clustered=18)  # a month fits a sample


MARCH = period_for(PeriodKind.monthly, date(2027, 3, 1), "Asia/Shanghai")


@pytest.fixture(scope="module")
def busy_month(history_engine: Engine) -> None:
    """March 2027: 30 calls about heating, 30 about square dancing, 10 unlike any other."""
    for n in range(1, 31):
        at = local(f"2027-03-{n:02d} 09:00")
        add_case(history_engine, at=at, description=f"{n}号楼暖气不热，家里很冷", category=HEATING)
    for n in range(1, 31):
        at = local(f"2027-03-{n:02d} 10:00")
        text = f"{n}号院楼下广场舞音响噪音太大"
        add_case(history_engine, at=at, description=text, category=NOISE)
    for n, text in enumerate(["路灯坏了", "公交车改线", "医保报销", "护照办理", "学校招生",
                              "菜市场涨价", "井盖丢失", "树木倒伏", "电梯故障", "快递丢件"],
                             start=1):  # fmt: skip
        add_case(history_engine, at=local(f"2027-03-{n:02d} 12:00"), description=text)


def test_texts_beyond_the_sample_are_counted_in_their_nearest_cluster(
    busy_month: None, history_engine: Engine
) -> None:
    topics = clusters(engine=history_engine, period=MARCH, sample=14)
    assert topics.texts.total == 70 and topics.texts.read == 70
    assert 7 <= topics.texts.clustered <= 21  # a sample of about 14
    assert [(c.size, c.categories) for c in topics.clusters] == [
        (30, {HEATING: 30}),
        (30, {NOISE: 30}),
    ]  # every text read is in a cluster, though only a sample of about 14 was clustered
    assert "暖气" in topics.clusters[0].terms and "广场" in topics.clusters[1].terms


def test_beyond_max_read_a_sample_is_read_and_said(
    busy_month: None, history_engine: Engine
) -> None:
    topics = clusters(engine=history_engine, period=MARCH, sample=14, max_read=35)
    texts = topics.texts
    assert texts.total == 70 and 25 <= texts.read <= 45 and texts.clustered < texts.read
    assert [sorted(c.categories) for c in topics.clusters] == [[HEATING], [NOISE]] or [
        sorted(c.categories) for c in topics.clusters
    ] == [[NOISE], [HEATING]]
    assert 20 <= sum(c.size for c in topics.clusters) <= texts.read


def test_large_case_ids_hash_without_overflow(history_engine: Engine) -> None:
    """PostgreSQL's 32-bit ids times the hash's multiplier need 64 bits."""
    may = period_for(PeriodKind.monthly, date(2027, 5, 1), "Asia/Shanghai")
    for n in range(1, 11):
        at = local(f"2027-05-{n:02d} 09:00")
        add_case(history_engine, at=at, description=f"{n}号楼电梯故障", id=2_000_000_000 + n)
    topics = clusters(engine=history_engine, period=may, sample=4)
    assert topics.texts.total == 10 and topics.texts.read == 10
    assert [c.size for c in topics.clusters] == [10]
