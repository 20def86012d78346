"""每月一题: what rose most this period, and which requests say the same thing in other words.

Two views to pick a month's topic from. `rising` compares each category's and district's
volume with the period before (SQL counts). `clusters` groups the period's request texts:
jieba words for Chinese and words for English (dispatch.text.tokenize), TF-IDF, then
average-linkage clustering on cosine distance with a distance threshold, so the number of
topics follows the data instead of being chosen beforehand. Average linkage costs the square
of the texts, so it runs on a sample of about `sample` texts (by a hash of the case id); the
others are then read in batches, about `max_read` in all (a sample by the same hash beyond
that, since cutting Chinese into words is the slow part; None reads all), and each is
counted in the cluster it is on average closest to, by the same threshold. A cluster's size
is thus the texts read that belong to it, and `TopicTexts` says how many were sampled, read
and in the period. Each cluster comes with its top terms and the sampled cases closest to
its centre as examples. An example is the start of the case's description with phone
numbers, e-mail addresses and ID numbers masked (core.redaction): reports are read and
mailed by staff, never by the public.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import BaseModel
from scipy.sparse import csr_matrix
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer
from sqlalchemy import BigInteger, cast, func, select
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

SAMPLE_TEXTS = 3000  # clustered: average linkage takes time and memory as their square
MAX_READ = 30_000  # read in all; jieba cuts about 3,000 texts of 100 characters a second
BATCH = 2000  # texts read from the database at a time
TERM_CHARS = 300  # of a description, cut into terms: the topic is said at the start
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
    size: int  # texts read that are counted in the cluster
    terms: list[str]
    categories: dict[str, int]  # category code: cases in the cluster
    examples: list[Example]


class TopicTexts(BaseModel):
    """How many of the period's texts the clusters rest on: the report says so."""

    total: int = 0  # cases in the period (and scope)
    read: int = 0  # texts read: the sample and the texts counted in their nearest cluster
    clustered: int = 0  # the even sample the clusters were found in


class Topics(BaseModel):
    clusters: list[Cluster]
    texts: TopicTexts


def rising(
    *,
    engine: Engine,
    period: Period,
    dimension: Dimension,
    scope: Scope = CITY,
    limit: int = 10,
    now: dict[str, int] | None = None,
) -> list[Rise]:
    """Groups whose volume rose most against the previous period of the same length.

    `now`: the period's volume when the caller has it already (a report counts it once).
    """
    if now is None:
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
    sample: int = SAMPLE_TEXTS,
    max_read: int | None = MAX_READ,
) -> Topics:
    """Clusters of similar requests in the period, largest first, and the texts they rest on."""
    plan = _plan(engine, period, scope, sample, max_read)
    rows = _sample(engine, plan)
    texts = TopicTexts(total=plan.total, read=len(rows), clustered=len(rows))
    if len(rows) < max(min_size, 2):
        return Topics(clusters=[], texts=texts)
    vectorizer = TfidfVectorizer(
        tokenizer=_terms, lowercase=False, token_pattern=None, min_df=2, sublinear_tf=True
    )
    try:
        matrix = vectorizer.fit_transform([row.description for row in rows])
    except ValueError:  # no term occurs twice: nothing in common to find
        return Topics(clusters=[], texts=texts)
    matrix = matrix.tocsr().astype(np.float32)
    keep = np.flatnonzero(matrix.getnnz(axis=1))  # texts with no shared term cannot cluster
    if len(keep) < max(min_size, 2):
        return Topics(clusters=[], texts=texts)
    labels = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average", distance_threshold=distance
    ).fit_predict(_cosine_distances(matrix[keep]))
    groups = [g for g in (keep[labels == label] for label in np.unique(labels)) if len(g) > 1]
    if not groups:
        return Topics(clusters=[], texts=texts)
    centres = _centres(matrix, groups)
    found = [_Found(members=g) for g in groups]
    for member in found:
        member.count(rows[i].category_code for i in member.members)
    texts.read += _assign_the_rest(engine, plan, vectorizer, centres, found, 1.0 - distance)
    terms = vectorizer.get_feature_names_out()
    described = [
        _describe(rows, matrix, f, centres[i].toarray().ravel(), terms, examples)
        for i, f in enumerate(found)
        if f.size >= min_size
    ]
    described.sort(key=lambda c: (-c.size, c.examples[0].number))
    return Topics(clusters=described[:limit], texts=texts)


@dataclass
class _Found:
    """A cluster of the sample: its members there, and every text counted in it."""

    members: np.ndarray  # row indexes in the sample
    size: int = 0
    categories: dict[str, int] = field(default_factory=dict)

    def count(self, codes: Iterable[str | None]) -> None:
        for code in codes:
            key = code or "-"
            self.categories[key] = self.categories.get(key, 0) + 1
            self.size += 1


def _assign_the_rest(
    engine: Engine,
    plan: _Plan,
    vectorizer: TfidfVectorizer,
    centres: Any,
    found: list[_Found],
    least: float,
) -> int:
    """Count each text read beyond the sample in its nearest cluster; how many were read.

    A text's dot product with a centre is its average cosine similarity to the cluster's
    members, so `least` (1 - the distance threshold) is the rule average linkage itself
    applies: a text joins a cluster only if it is on average that close to its members.
    Rows come from the database in batches, so memory stays bounded whatever the month holds.
    """
    if plan.read_below == plan.sample_below:
        return 0  # every text read is in the sample
    query = select(cases.description, cases.category_code).where(
        *plan.where, _HASHED < plan.read_below, _HASHED >= plan.sample_below
    )
    read = 0
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=BATCH).execute(query)
        for batch in result.partitions():
            read += len(batch)
            vectors = vectorizer.transform([row.description for row in batch])
            similarity = (vectors @ centres.T).toarray()
            nearest = similarity.argmax(axis=1)
            best = similarity[np.arange(len(batch)), nearest]
            for row, cluster, score in zip(batch, nearest, best, strict=True):
                if score > 0 and score >= least:  # a text with no term of the sample: none
                    found[cluster].count((row.category_code,))
    return read


def _terms(text: str) -> list[str]:
    """The terms of a text's start: a long transcript costs no more than a short request."""
    return tokenize(text[:TERM_CHARS])


def _cosine_distances(matrix: Any) -> np.ndarray:
    """1 - cosine similarity of unit rows, from the sparse product: far cheaper than the
    dense rows × terms matrix the clustering would otherwise compare pair by pair."""
    distances = 1.0 - (matrix @ matrix.T).toarray()
    np.clip(distances, 0.0, 2.0, out=distances)
    np.fill_diagonal(distances, 0.0)
    return distances


def _centres(matrix: Any, groups: list[np.ndarray]) -> Any:
    """Each group's mean vector, as a sparse clusters × terms matrix (a member's few terms
    make a sparse centre; a dense one would be read whole for every text assigned)."""
    rows = np.concatenate([np.full(len(g), i) for i, g in enumerate(groups)])
    weights = np.concatenate([np.full(len(g), 1.0 / len(g), dtype=np.float32) for g in groups])
    average = csr_matrix(
        (weights, (rows, np.concatenate(groups))), shape=(len(groups), matrix.shape[0])
    )
    return (average @ matrix).tocsr()


def _describe(
    rows: list[Any], matrix: Any, found: _Found, centre: np.ndarray, terms: Any, examples: int
) -> Cluster:
    members = found.members
    top = [str(terms[i]) for i in np.argsort(-centre, kind="stable")[:5] if centre[i] > 0]
    closeness = matrix[members] @ centre
    order = members[np.lexsort((members, -closeness))]
    return Cluster(
        size=found.size,
        terms=top,
        categories=dict(sorted(found.categories.items(), key=lambda item: (-item[1], item[0]))),
        examples=[
            Example(number=rows[i].number, description=_clip(redact(rows[i].description)))
            for i in order[:examples]
        ],
    )


def _clip(text: str) -> str:
    return text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 1] + "…"


@dataclass(frozen=True)
class _Plan:
    """Which texts are read and which sampled: those whose case id hashes below a bound.

    A hash rather than every n-th id, so that nothing periodic in how ids were handed out
    (a channel's batches, a generator's pattern) tilts the sample; the sample's bound is the
    lower, so the sample is part of what is read.
    """

    where: tuple[Any, ...]
    total: int
    read_below: int
    sample_below: int


SPREAD = 1_000_003  # a prime: case ids hash to 0 … SPREAD - 1
_HASHED = cast(cases.id, BigInteger) * 738_181 % SPREAD  # 64 bits: ids up to 10¹³


def _plan(engine: Engine, period: Period, scope: Scope, sample: int, max_read: int | None) -> _Plan:
    where = (
        cases.created_at >= period.start,
        cases.created_at < period.end,
        *scope.where(cases.lead_unit_code),
    )
    with engine.connect() as connection:
        total = connection.execute(select(func.count()).where(*where)).scalar_one()
    read_below = -(-SPREAD * max_read // total) if max_read and total > max_read else SPREAD
    sample_below = -(-SPREAD * sample // total) if total > sample else SPREAD
    return _Plan(where, total, read_below, min(sample_below, read_below))


def _sample(engine: Engine, plan: _Plan) -> list[Any]:
    query = select(cases.id, cases.number, cases.description, cases.category_code).where(
        *plan.where
    )
    if plan.sample_below < SPREAD:
        query = query.where(_HASHED < plan.sample_below)
    with engine.connect() as connection:
        return list(connection.execute(query.order_by(cases.id)).all())
