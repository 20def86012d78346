"""Smart dispatch in figures: how good a freshly trained model is, how long training takes and
how fast it answers, on every labelled data set there is and on the catalog alone.

Why it exists: `hotline dispatch train` runs whenever dispatchers have closed enough new cases,
and every intake asks the model for a suggestion, so both the training time and the latency
of one suggestion matter. The tests say whether the model is good enough; this prints the
numbers to compare between commits, data sets and machines, never a pass/fail verdict.

It does what `hotline dispatch eval` does, once per data set: for every `X_train.csv` in the
data folder (`../shared/data/dispatch/` by default) with an `X_validation.csv` beside it, it
trains on the train split (plus the seed catalog's phrasings when its labels are catalog
categories; a city's own labels, as in the English sets, are learnt as they are) and evaluates
on the validation split; a data set that is missing is skipped with a line. Then it holds out a
fifth of the catalog's own example phrasings and trains on the rest, once for the level-1 areas
and once for the leaves. Besides accuracy, macro-F1, top-3 and the calibration error it prints
the share of texts that could be dispatched automatically with suggestions right ≥ 95 % of the
time, and the threshold that does it.
Latency is that of one suggestion (top 3 with reasons) per test text, one at a time, as intake
asks. Nothing is downloaded and no database is needed (the catalog comes from the seed CSV).

Run from the project root:

    .venv/bin/python -m bench.dispatch
    .venv/bin/python -m bench.dispatch --data-dir my/labelled/folder
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from dispatch.evaluation import EvalFigures, catalog_holdout, labelled_pairs, run_eval
from dispatch.text import tokenize
from dispatch.training import CategoryIndex, catalog_examples, read_labelled_files
from models.seed import SEED_DIR, load_categories

SHARED = Path(__file__).resolve().parents[2] / "shared/data/dispatch"
# The data sets the figures are about (README.md in the data folder); others found run too.
EXPECTED = ("teddy2020", "lewisham_fms", "newhaven_scf")
LEAF_LEVEL = 3
console = Console()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir", type=Path, default=SHARED, help="folder of X_train.csv/X_validation.csv"
    )
    args = parser.parse_args()

    started = time.perf_counter()
    tokenize("预热 warming")  # jieba's dictionary: once per process, timed on its own
    jieba_s = time.perf_counter() - started
    index = CategoryIndex(load_categories(SEED_DIR / "catalog.csv"))

    results: list[EvalFigures] = []
    pairs = labelled_pairs(args.data_dir) if args.data_dir.is_dir() else []
    for name in sorted(set(EXPECTED) - {name for name, _, _ in pairs}):
        console.print(
            f"[yellow]skipped {name}: no {name}_train.csv and _validation.csv in {args.data_dir}[/]"
        )
    for name, train_file, validation_file in pairs:
        with console.status(f"{name}: training and evaluating"):
            (training, test), catalog_labels = read_labelled_files(
                [train_file, validation_file], index
            )
            if catalog_labels:  # the catalog's phrasings help only where its labels are used
                training = catalog_examples(index) + training
            results.append(run_eval(training, test, name=name)[1])
    for level, label in ((1, "catalog held-out fifth, areas"), (LEAF_LEVEL, "… leaves")):
        with console.status(f"{label}: training and evaluating"):
            training, test = catalog_holdout(index, level=level)
            results.append(run_eval(training, test, name=label)[1])
    console.print(_table(results))
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    console.print(f"load average (1, 5, 15 min) at the end: {load} on {os.cpu_count()} cores")
    console.print(f"jieba start-up (once per process, not in the figures): {jieba_s:.2f} s")


def _table(results: list[EvalFigures]) -> Table:
    table = Table(title="smart dispatch: hotline dispatch eval")
    columns = ("data set", "train n", "test n", "accuracy", "macro-F1", "top-3", "ECE")
    for column in (*columns, "auto share", "at ≥", "p50 ms", "p99 ms", "training s"):
        table.add_column(column, justify="left" if column == "data set" else "right")
    for figures in results:
        evaluation = figures.evaluation
        automatic = evaluation.automatic
        table.add_row(
            figures.name,
            str(figures.train_examples),
            str(figures.test_examples),
            f"{evaluation.accuracy:.3f}",
            f"{evaluation.macro_f1:.3f}",
            f"{evaluation.top3_accuracy:.3f}",
            f"{evaluation.expected_calibration_error:.3f}",
            f"{automatic.share:.1%} ({automatic.precision:.1%} right)",
            "—" if automatic.threshold is None else f"{automatic.threshold:.3f}",
            f"{figures.latency_p50_ms:.1f}",
            f"{figures.latency_p99_ms:.1f}",
            f"{figures.training_s:.2f}",
        )
    table.caption = (
        "auto share: texts whose top probability reaches the lowest threshold (at ≥) at which "
        "the automatic suggestions are right at least 95 % of the time, chosen on the test texts"
    )
    return table


if __name__ == "__main__":
    main()
