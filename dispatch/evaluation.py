"""`hotline dispatch eval` as a function: train a fresh model, evaluate it on texts it has not
seen and time its single suggestions, returning the figures (the CLI and the bench print them).

Two kinds of test: a labelled file (train on the catalog's phrasings and training files, test on
the file), or the catalog alone (a fifth of its example phrasings held out, stratified by
category, with a fixed seed; the rest and the leaf names train the model).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dispatch.model import DispatchModel, LabelledText, train
from dispatch.training import (
    HOLDOUT_FRACTION,
    CategoryIndex,
    Evaluation,
    catalog_examples,
    evaluate,
    split_holdout,
)

TRAIN_SUFFIX, VALIDATION_SUFFIX = "_train.csv", "_validation.csv"
SUGGESTIONS_K = 3


@dataclass(frozen=True)
class EvalFigures:
    """How a freshly trained model did on one test set, and how fast it was."""

    name: str
    train_examples: int
    evaluation: Evaluation
    training_s: float
    latency_p50_ms: float  # one suggestion (top 3 with reasons), as intake asks
    latency_p99_ms: float

    @property
    def test_examples(self) -> int:
        return self.evaluation.examples


def run_eval(
    training: Sequence[LabelledText], test: Sequence[LabelledText], *, name: str
) -> tuple[DispatchModel, EvalFigures]:
    """Train on `training`, evaluate on `test`, time one suggestion per test text."""
    started = time.perf_counter()
    model = train(training)
    training_s = time.perf_counter() - started
    evaluation = evaluate(model, test, on=name)
    latencies_ms: list[float] = []
    for example in test:
        started = time.perf_counter()
        model.predict(example.text, k=SUGGESTIONS_K)
        latencies_ms.append((time.perf_counter() - started) * 1000)
    figures = EvalFigures(
        name=name,
        train_examples=len(training),
        evaluation=evaluation,
        training_s=training_s,
        latency_p50_ms=percentile(latencies_ms, 0.50),
        latency_p99_ms=percentile(latencies_ms, 0.99),
    )
    return model, figures


def catalog_holdout(
    index: CategoryIndex, *, level: int = 1, fraction: float = HOLDOUT_FRACTION, seed: int = 0
) -> tuple[list[LabelledText], list[LabelledText]]:
    """(train, held out): `fraction` of the catalog's example phrasings of each category at
    `level` held out; the leaf names always train."""
    names = {
        name.strip()
        for category in index.categories.values()
        for name in (category.name_zh, category.name_en)
    }
    examples = catalog_examples(index, level=level)
    phrasings = [example for example in examples if example.text.strip() not in names]
    leaf_names = [example for example in examples if example.text.strip() in names]
    train_part, held_out = split_holdout(phrasings, fraction=fraction, seed=seed)
    return leaf_names + train_part, held_out


def labelled_pairs(folder: Path) -> list[tuple[str, Path, Path]]:
    """(data set, train file, validation file) for every `X_train.csv` with an
    `X_validation.csv` beside it, by name."""
    pairs: list[tuple[str, Path, Path]] = []
    for train_file in sorted(folder.glob(f"*{TRAIN_SUFFIX}")):
        name = train_file.name.removesuffix(TRAIN_SUFFIX)
        validation = folder / f"{name}{VALIDATION_SUFFIX}"
        if validation.is_file():
            pairs.append((name, train_file, validation))
    return pairs


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, round(share * len(ordered)) - 1)]
