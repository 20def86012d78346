"""Smart dispatch in figures: how good a freshly trained model is, how long training takes and
how fast it answers, on every labelled data set there is and on the catalog alone.

Why it exists: `hotline dispatch train` runs whenever dispatchers have closed enough new cases,
and every intake asks the model for a suggestion, so both the training time and the latency
of one suggestion matter. The tests say whether the model is good enough; this prints the
numbers to compare between commits, data sets and machines, never a pass/fail verdict.

It does what `hotline dispatch eval` does, once per data set: for every `X_train.csv` in the
data folder (`../shared/data/dispatch/` by default) with an `X_validation.csv` beside it, it
trains on the seed catalog's phrasings plus the train split and evaluates on the validation
split; then it holds out a fifth of the catalog's own example phrasings and trains on the rest.
Latency is that of one suggestion (top 3 with reasons) per test text, one at a time, as intake
asks. Nothing is downloaded and no database is needed (the catalog comes from the seed CSV).

Run from the project root:

    .venv/bin/python -m bench.dispatch
    .venv/bin/python -m bench.dispatch --data-dir my/labelled/folder
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from dispatch.evaluation import EvalFigures, catalog_holdout, labelled_pairs, run_eval
from dispatch.text import tokenize
from dispatch.training import CategoryIndex, catalog_examples, read_labelled_csv
from models.seed import SEED_DIR, load_categories

SHARED = Path(__file__).resolve().parents[2] / "shared/data/dispatch"
console = Console()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir", type=Path, default=SHARED, help="folder of X_train.csv/X_validation.csv"
    )
    args = parser.parse_args()

    started = time.perf_counter()
    tokenize("预热")  # jieba's dictionary: once per process, timed on its own
    jieba_s = time.perf_counter() - started
    index = CategoryIndex(load_categories(SEED_DIR / "catalog.csv"))

    results: list[EvalFigures] = []
    pairs = labelled_pairs(args.data_dir)
    if not pairs:
        console.print(f"[yellow]no X_train.csv with an X_validation.csv in {args.data_dir}[/]")
    for name, train_file, validation_file in pairs:
        with console.status(f"{name}: training and evaluating"):
            training = catalog_examples(index) + read_labelled_csv(train_file, index)
            test = read_labelled_csv(validation_file, index)
            results.append(run_eval(training, test, name=name)[1])
    with console.status("catalog held-out fifth: training and evaluating"):
        training, test = catalog_holdout(index)
        results.append(run_eval(training, test, name="catalog held-out fifth")[1])

    table = Table(title="smart dispatch: hotline dispatch eval")
    for column in ("data set", "train n", "test n", "accuracy", "macro-F1", "top-3", "ECE"):
        table.add_column(column, justify="left" if column == "data set" else "right")
    for column in ("p50 ms", "p99 ms", "training s"):
        table.add_column(column, justify="right")
    for figures in results:
        evaluation = figures.evaluation
        table.add_row(
            figures.name,
            str(figures.train_examples),
            str(figures.test_examples),
            f"{evaluation.accuracy:.3f}",
            f"{evaluation.macro_f1:.3f}",
            f"{evaluation.top3_accuracy:.3f}",
            f"{evaluation.expected_calibration_error:.3f}",
            f"{figures.latency_p50_ms:.1f}",
            f"{figures.latency_p99_ms:.1f}",
            f"{figures.training_s:.2f}",
        )
    console.print(table)
    console.print(f"jieba start-up (once per process, not in the figures): {jieba_s:.2f} s")


if __name__ == "__main__":
    main()
