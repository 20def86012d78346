"""Training data for the dispatch model, and how well a model does on texts it has not seen.

Three sources, labelled with category codes at the level the model is trained on:
the catalog's example phrasings (and leaf names, zh and en), past cases whose dispatch was
final (closed, resolved or in callback: the dispatchers' decisions), and labelled CSV files in
the Teddy Cup format (`title,text,label`, the label a category name or code; other column names
can be given). A file whose labels name no catalog category is a city's own history: its
labels are learnt as they are.
A model is judged on a held-out split of the real texts or on a validation file: macro-F1,
accuracy, top-3 accuracy and the expected calibration error of its confidence.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import f1_score
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from dispatch.model import (
    DispatchModel,
    LabelledText,
    TrainingParameters,
    train,
)
from models.case import Case
from models.enums import CaseStatus
from models.unit import Category

# Statuses after which the case's category is the dispatchers' final word on it.
FINAL_STATUSES = (CaseStatus.resolved, CaseStatus.callback, CaseStatus.closed)
# Catalog phrasings are short and written by us; real texts should outweigh them.
CATALOG_WEIGHT = 0.5
HOLDOUT_FRACTION = 0.2
RELIABILITY_BINS = 10
TOP_K = 3
# A title sums a request up: it counts this many times beside the text (measured: +0.01 to
# +0.02 macro-F1 on the validation splits).
TITLE_WEIGHT = 2
# A wrong dispatch costs a return and a day: automatic dispatch must be right this often.
TARGET_PRECISION = 0.95


class TrainingDataError(ValueError):
    """Training data that cannot be used; says which file and line."""


class CategoryIndex:
    """The catalog as a lookup: ancestors by level, codes by name (zh or en) or code."""

    def __init__(self, categories: Iterable[Category]) -> None:
        self.categories = {category.code: category for category in categories}
        self._by_name: dict[str, list[str]] = {}
        for category in self.categories.values():
            for name in {category.code, category.name_zh, category.name_en}:
                if name.strip():
                    self._by_name.setdefault(name.strip().casefold(), []).append(category.code)

    @classmethod
    def from_engine(cls, engine: Engine) -> CategoryIndex:
        with Session(engine) as session:
            return cls(session.exec(select(Category).order_by(col(Category.code))).all())

    def ancestor(self, code: str, level: int) -> str | None:
        """The code of `code`'s ancestor (or itself) at `level`; None if it is higher up."""
        category = self.categories.get(code)
        while category is not None and category.level > level:
            category = self.categories.get(category.parent_code or "")
        return category.code if category is not None and category.level == level else None

    def find(self, label: str) -> Category | None:
        """The category a label names, by code or by its Chinese or English name; a name
        that several categories share names the highest of them (a level-1 area first)."""
        codes = self._by_name.get(label.strip().casefold(), [])
        found = sorted((self.categories[code] for code in codes), key=lambda c: c.level)
        return found[0] if found else None


@dataclass(frozen=True)
class ReliabilityBin:
    low: float
    high: float
    count: int
    confidence: float  # mean top probability in the bin
    accuracy: float  # share of those top suggestions that were right


@dataclass(frozen=True)
class AutomaticShare:
    """How many texts could be dispatched with no dispatcher, right at least `target` of the
    time: those whose top probability reaches `threshold` (the lowest that keeps the
    precision), chosen on the texts evaluated. No threshold: none keeps the precision."""

    target: float
    threshold: float | None
    share: float
    precision: float


@dataclass(frozen=True)
class Evaluation:
    examples: int
    macro_f1: float
    accuracy: float
    top3_accuracy: float
    expected_calibration_error: float
    reliability: tuple[ReliabilityBin, ...]
    per_label_f1: dict[str, float]
    evaluated_on: str
    automatic: AutomaticShare

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def catalog_examples(
    index: CategoryIndex, *, level: int = 1, weight: float = CATALOG_WEIGHT
) -> list[LabelledText]:
    """Every active leaf's example phrasings and names, labelled with its code at `level`."""
    parents = {category.parent_code for category in index.categories.values()}
    examples: list[LabelledText] = []
    for category in index.categories.values():
        if not category.active or category.code in parents:
            continue
        label = index.ancestor(category.code, level)
        if label is None:
            continue
        texts = [*category.examples, category.name_zh, category.name_en]
        examples += [
            LabelledText(text, label, source="catalog", weight=weight)
            for text in texts
            if text.strip()
        ]
    return examples


def case_examples(*, engine: Engine, index: CategoryIndex, level: int = 1) -> list[LabelledText]:
    """Past cases whose dispatch was final, labelled with their category's code at `level`."""
    query = select(Case.description, Case.category_code).where(
        col(Case.status).in_([status.value for status in FINAL_STATUSES]),
        col(Case.category_code).is_not(None),
    )
    with Session(engine) as session:
        rows = session.exec(query.order_by(col(Case.id))).all()
    examples: list[LabelledText] = []
    for description, code in rows:
        label = index.ancestor(code or "", level)
        if label is not None and description.strip():
            examples.append(LabelledText(description, label, source="case"))
    return examples


@dataclass(frozen=True)
class Columns:
    """Which columns of a labelled CSV hold the text, the label and (if any) a title."""

    text: str = "text"
    label: str = "label"
    title: str | None = None  # None: a column named "title" is used when there is one

    def title_in(self, fieldnames: Sequence[str]) -> str | None:
        if self.title is not None:
            return self.title
        return "title" if "title" in fieldnames else None


@dataclass(frozen=True)
class _Row:
    text: str
    label: str
    where: str  # "file.csv: line 7"


def read_labelled_files(
    paths: Sequence[Path],
    index: CategoryIndex,
    *,
    level: int = 1,
    columns: Columns | None = None,
) -> tuple[list[list[LabelledText]], bool]:
    """The examples of each file, and whether their labels are the catalog's.

    When at least half the distinct labels name catalog categories (by code or name) they all
    must, and become codes at `level`; a label that does not is refused at its line. Otherwise
    the labels are a city's own (one may happen to share a catalog name, like "Other") and are
    learnt as they are, so its history can be measured before its catalog is loaded.
    """
    columns = columns or Columns()
    files = [_read_rows(path, columns) for path in paths]
    rows = [row for file_rows in files for row in file_rows]
    distinct = {row.label for row in rows}
    known = {label for label in distinct if index.find(label) is not None}
    if 2 * len(known) >= len(distinct):
        unknown = next((row for row in rows if row.label not in known), None)
        if unknown is not None:
            raise TrainingDataError(
                f"{unknown.where}: {unknown.label!r} is not a category code or name "
                "(other rows name catalog categories: use the catalog's labels throughout, "
                "or a city's own labels throughout)"
            )
        examples = [
            [LabelledText(r.text, _label(index, r.label, level, r.where)) for r in file_rows]
            for file_rows in files
        ]
        return examples, True
    labels = sorted({row.label for row in rows})
    if len(labels) == 1:
        raise TrainingDataError(
            f"{', '.join(str(path) for path in paths)}: every row has the label {labels[0]!r}; "
            "a model needs at least two labels to choose between"
        )
    return [[LabelledText(r.text, r.label) for r in file_rows] for file_rows in files], False


def read_labelled_csv(
    path: Path, index: CategoryIndex, *, level: int = 1, columns: Columns | None = None
) -> list[LabelledText]:
    """Rows of a `title,text,label` CSV (the Teddy Cup format); title and text are joined.
    Labels are catalog codes, or the file's own labels when none names a category."""
    return read_labelled_files([path], index, level=level, columns=columns)[0][0]


def _read_rows(path: Path, columns: Columns) -> list[_Row]:
    """The non-empty rows of a labelled CSV, title and text joined."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise TrainingDataError(f"{path}: cannot read it ({exc.strerror})") from exc
    with handle:
        reader = csv.DictReader(handle)
        fieldnames = list(reader.fieldnames or [])
        if not fieldnames:
            raise TrainingDataError(f"{path}: the file is empty (no header line)")
        title = columns.title_in(fieldnames)
        wanted = [columns.text, columns.label, *([title] if title else [])]
        missing = [name for name in wanted if name not in fieldnames]
        if missing:
            raise TrainingDataError(
                f"{path}: line 1: no column {', '.join(repr(m) for m in missing)}; "
                f"it has {', '.join(repr(f) for f in fieldnames)} "
                "(choose others with --text-col, --label-col and --title-col)"
            )
        rows: list[_Row] = []
        for record in reader:
            heading = (record.get(title) or "").strip() if title else ""
            parts = [*[heading] * TITLE_WEIGHT, (record.get(columns.text) or "").strip()]
            text = "。".join(part for part in parts if part)
            label = (record.get(columns.label) or "").strip()
            where = f"{path}: line {reader.line_num}"
            if text and not label:
                raise TrainingDataError(f"{where}: the {columns.label!r} column is empty")
            if text:
                rows.append(_Row(text, label, where))
    if not rows:
        raise TrainingDataError(f"{path}: no labelled rows, only a header line")
    return rows


def split_holdout(
    examples: Sequence[LabelledText], *, fraction: float = HOLDOUT_FRACTION, seed: int = 0
) -> tuple[list[LabelledText], list[LabelledText]]:
    """(train, held out): `fraction` of each category's real texts held out, at least one
    where a category has two or more. Catalog phrasings are held out only if no category has
    two real texts."""
    real = [i for i, example in enumerate(examples) if example.source != "catalog"]
    real_labels = Counter(examples[i].label for i in real)
    # A handful of real texts, none sharing a category, cannot be split: use the phrasings.
    pool = real if any(count >= 2 for count in real_labels.values()) else range(len(examples))
    by_label: dict[str, list[int]] = {}
    for i in pool:
        by_label.setdefault(examples[i].label, []).append(i)
    rng = np.random.default_rng(seed)
    held: set[int] = set()
    for label in sorted(by_label):
        members = by_label[label]
        if len(members) < 2:
            continue
        count = max(1, round(len(members) * fraction))
        held.update(int(i) for i in rng.choice(members, size=count, replace=False))
    train_part = [example for i, example in enumerate(examples) if i not in held]
    held_part = [example for i, example in enumerate(examples) if i in held]
    return train_part, held_part


def evaluate(model: DispatchModel, examples: Sequence[LabelledText], *, on: str) -> Evaluation:
    """Macro-F1 over the categories of `examples`, accuracy, top-3 accuracy and the expected
    calibration error (top probability against the share right, in equal-width bins)."""
    if not examples:
        raise TrainingDataError(f"nothing to evaluate on ({on})")
    probabilities = model.predict_proba([example.text for example in examples])
    labels = np.array(model.labels)
    truth = np.array([example.label for example in examples])
    ranked = np.argsort(-probabilities, axis=1, kind="stable")
    predicted = labels[ranked[:, 0]]
    correct = predicted == truth
    top_k = (labels[ranked[:, :TOP_K]] == truth[:, None]).any(axis=1)
    present = sorted(set(truth.tolist()))
    f1 = f1_score(truth, predicted, labels=present, average=None, zero_division=0)
    confidence = probabilities.max(axis=1)
    reliability = _reliability(confidence, correct)
    automatic = automatic_share(confidence, correct)
    ece = sum(b.count * abs(b.accuracy - b.confidence) for b in reliability) / len(examples)
    return Evaluation(
        examples=len(examples),
        macro_f1=float(np.mean(f1)),
        accuracy=float(correct.mean()),
        top3_accuracy=float(top_k.mean()),
        expected_calibration_error=float(ece),
        reliability=reliability,
        per_label_f1={label: float(score) for label, score in zip(present, f1, strict=True)},
        evaluated_on=on,
        automatic=automatic,
    )


def automatic_share(
    confidence: NDArray[np.float64], correct: NDArray[np.bool_], target: float = TARGET_PRECISION
) -> AutomaticShare:
    """The lowest confidence threshold whose suggestions are right at least `target` of the
    time, and the share of texts it lets through (ties at the threshold all count)."""
    order = np.argsort(-confidence, kind="stable")
    ranked, right = confidence[order], correct[order].astype(np.float64)
    precision = np.cumsum(right) / np.arange(1, len(ranked) + 1)
    # Cut only between different confidences: a threshold takes all texts at its value.
    ends = np.flatnonzero(np.append(ranked[1:] < ranked[:-1], True))
    good = ends[precision[ends] >= target]
    if not len(good):
        return AutomaticShare(target=target, threshold=None, share=0.0, precision=0.0)
    last = int(good.max())
    return AutomaticShare(
        target=target,
        threshold=float(ranked[last]),
        share=(last + 1) / len(ranked),
        precision=float(precision[last]),
    )


def train_and_evaluate(
    examples: Sequence[LabelledText],
    *,
    validation: Sequence[LabelledText] | None = None,
    parameters: TrainingParameters | None = None,
    on_step: Callable[[str], None] | None = None,
) -> tuple[DispatchModel, Evaluation]:
    """Train, evaluate and record the evaluation in the model's sidecar.

    With a validation set the model trained on `examples` is evaluated on it and kept. Without,
    a model trained on the rest is evaluated on a held-out split of the real texts, then the
    model kept is trained again on everything.
    """
    step = on_step or (lambda _: None)
    if validation is not None:
        step("training")
        model = train(examples, parameters=parameters)
        step("evaluating")
        evaluation = evaluate(model, validation, on=f"validation set ({len(validation)} texts)")
    else:
        train_part, held_out = split_holdout(examples)
        step("training on the split")
        trial = train(train_part, parameters=parameters)
        step("evaluating")
        evaluation = evaluate(trial, held_out, on=f"held-out split ({len(held_out)} texts)")
        step("training on everything")
        model = train(examples, parameters=parameters)
        model.info.notes.append("evaluated before the held-out split was added to training")
    model.info.validation = evaluation.as_dict()
    return model, evaluation


def _label(index: CategoryIndex, label: str, level: int, where: str) -> str:
    category = index.find(label)
    if category is None:
        raise TrainingDataError(f"{where}: {label!r} is not a category code or name")
    code = index.ancestor(category.code, level)
    if code is None:
        raise TrainingDataError(
            f"{where}: {label!r} is a level-{category.level} category; "
            f"a level-{level} model needs labels of level {level} or below"
        )
    return code


def _reliability(confidence: np.ndarray, correct: np.ndarray) -> tuple[ReliabilityBin, ...]:
    edges = np.linspace(0.0, 1.0, RELIABILITY_BINS + 1)
    bins = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, RELIABILITY_BINS - 1)
    result: list[ReliabilityBin] = []
    for number in range(RELIABILITY_BINS):
        members = bins == number
        if not members.any():
            continue
        result.append(
            ReliabilityBin(
                low=float(edges[number]),
                high=float(edges[number + 1]),
                count=int(members.sum()),
                confidence=float(confidence[members].mean()),
                accuracy=float(correct[members].mean()),
            )
        )
    return tuple(result)
