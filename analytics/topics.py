"""每月一题: what rose most this period, and which requests say the same thing in other words.

Two views to pick a month's topic from. `rising` compares each category's and district's
volume with the period before (SQL counts). `clusters` groups the period's request texts:
jieba words for Chinese and words for English (dispatch.text.tokenize), TF-IDF, then
average-linkage clustering on cosine distance with a distance threshold, so the number of
topics follows the data instead of being chosen beforehand. Each cluster comes with its top
terms and the cases closest to its centre as examples. Only the texts are loaded, and at most
`max_texts` of them (an even sample by case id beyond that). An example is the start of the
case's description with phone numbers, e-mail addresses and ID numbers masked
(core.redaction): reports are read and mailed by staff, never by the public.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from analytics.dimensions import Dimension
from analytics.metrics import group_names, volume
from analytics.periods import Period
from analytics.scope import CITY, Scope
from analytics.sql import columns
from core.redaction import redact
from dispatch.text import tokenize
from models import Case

cases = columns(Case)

MAX_TEXTS = 3000
EXAMPLE_CHARS = 80  # of a redacted description: enough to tell the topic, little of the person


class Rise(BaseModel):
    key: str
    name: str
    count: int
    previous: int
    change: int
    ratio: float | None  # None when there was nothing before


class Example(BaseModel):
    number: str
    description: str


class Cluster(BaseModel):
    size: int
    terms: list[str]
    categories: dict[str, int]  # category code: cases in the cluster
    examples: list[Example]


def rising(
    *,
    engine: Engine,
    period: Period,
    dimension: Dimension,
    scope: Scope = CITY,
    limit: int = 10,
) -> list[Rise]:
    """Groups whose volume rose most against the previous period of the same length."""
    now = volume(engine=engine, period=period, dimension=dimension, scope=scope)
    before = volume(engine=engine, period=period.previous(), dimension=dimension, scope=scope)
    rises = [
        Rise(
            key=key,
            name=key,
            count=now.get(key, 0),
            previous=before.get(key, 0),
            change=now.get(key, 0) - before.get(key, 0),
            ratio=round(now.get(key, 0) / before[key], 6) if before.get(key) else None,
        )
        for key in now
    ]
    rises = [r for r in rises if r.change > 0]
    rises.sort(key=lambda r: (-r.change, r.key))
    rises = rises[:limit]
    with engine.connect() as connection:
        names = group_names(connection, dimension, [r.key for r in rises])
    for rise in rises:
        rise.name = names.get(rise.key, rise.key)
    return rises


def clusters(
    *,
    engine: Engine,
    period: Period,
    scope: Scope = CITY,
    min_size: int = 3,
    distance: float = 0.8,
    examples: int = 3,
    limit: int = 10,
    max_texts: int = MAX_TEXTS,
) -> list[Cluster]:
    """Clusters of similar requests in the period, largest first."""
    rows = _texts(engine, period, scope, max_texts)
    if len(rows) < max(min_size, 2):
        return []
    vectorizer = TfidfVectorizer(
        tokenizer=tokenize, lowercase=False, token_pattern=None, min_df=2, sublinear_tf=True
    )
    try:
        matrix = vectorizer.fit_transform([row.description for row in rows])
    except ValueError:  # no term occurs twice: nothing in common to find
        return []
    dense = np.asarray(matrix.todense(), dtype=np.float32)
    keep = np.flatnonzero(dense.any(axis=1))  # texts with no shared term cannot cluster
    if len(keep) < max(min_size, 2):
        return []
    labels = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=distance
    ).fit_predict(dense[keep])
    terms = vectorizer.get_feature_names_out()
    found: list[Cluster] = []
    for label in np.unique(labels):
        members = keep[labels == label]
        if len(members) < min_size:
            continue
        found.append(_describe(rows, dense, members, terms, examples))
    found.sort(key=lambda c: (-c.size, c.examples[0].number))
    return found[:limit]


def _describe(
    rows: list[Any], dense: np.ndarray, members: np.ndarray, terms: Any, examples: int
) -> Cluster:
    centre = dense[members].mean(axis=0)
    top = [str(terms[i]) for i in np.argsort(-centre, kind="stable")[:5] if centre[i] > 0]
    closeness = dense[members] @ centre
    order = members[np.lexsort((members, -closeness))]
    categories: dict[str, int] = {}
    for index in members:
        code = rows[index].category_code or "-"
        categories[code] = categories.get(code, 0) + 1
    return Cluster(
        size=len(members),
        terms=top,
        categories=dict(sorted(categories.items(), key=lambda item: (-item[1], item[0]))),
        examples=[
            Example(number=rows[i].number, description=_clip(redact(rows[i].description)))
            for i in order[:examples]
        ],
    )


def _clip(text: str) -> str:
    return text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 1] + "…"


def _texts(engine: Engine, period: Period, scope: Scope, max_texts: int) -> list[Any]:
    in_period = (
        cases.created_at >= period.start,
        cases.created_at < period.end,
        *scope.where(cases.lead_unit_code),
    )
    with engine.connect() as connection:
        total = connection.execute(select(func.count()).where(*in_period)).scalar_one()
        query = select(cases.id, cases.number, cases.description, cases.category_code).where(
            *in_period
        )
        if total > max_texts:
            query = query.where(cases.id % (total // max_texts + 1) == 0)
        return list(connection.execute(query.order_by(cases.id)).all())
