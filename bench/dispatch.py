"""Smart dispatch in figures: how long training takes, how good the model is, how fast it answers.

Why it exists: `hotline dispatch train` runs whenever dispatchers have closed enough new cases,
and every intake asks the model for a suggestion, so both the training time and the latency
of one suggestion matter. The tests say whether the model is good enough; this prints the
numbers to compare between commits, data sets and machines, never a pass/fail verdict.

It trains on the seed catalog's phrasings plus a labelled CSV (the Teddy Cup training rows by
default), evaluates on a validation CSV, then times single suggestions on the validation texts
(one at a time, as intake asks) and a batch. Nothing is downloaded and no database is needed.

Run from the project root:

    .venv/bin/python -m bench.dispatch
    .venv/bin/python -m bench.dispatch --data my.csv --validation held_out.csv --rounds 3
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from dispatch.model import DispatchModel, train
from dispatch.text import tokenize
from dispatch.training import CategoryIndex, catalog_examples, evaluate, read_labelled_csv
from models.seed import SEED_DIR, load_categories

SHARED = Path(__file__).resolve().parents[2] / "shared/data/dispatch"
console = Console()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED / "teddy2020_train.csv")
    parser.add_argument("--validation", type=Path, default=SHARED / "teddy2020_validation.csv")
    parser.add_argument("--rounds", type=int, default=1, help="training runs to time")
    args = parser.parse_args()

    started = time.perf_counter()
    tokenize("预热")  # jieba's dictionary: once per process, timed on its own
    jieba_s = time.perf_counter() - started
    index = CategoryIndex(load_categories(SEED_DIR / "catalog.csv"))
    examples = catalog_examples(index) + read_labelled_csv(args.data, index)
    validation = read_labelled_csv(args.validation, index)

    train_s: list[float] = []
    model: DispatchModel | None = None
    for _ in range(args.rounds):
        started = time.perf_counter()
        model = train(examples)
        train_s.append(time.perf_counter() - started)
    assert model is not None
    evaluation = evaluate(model, validation, on=args.validation.name)

    texts = [example.text for example in validation]
    latencies_ms: list[float] = []
    for text in texts:
        started = time.perf_counter()
        model.predict(text, k=3)
        latencies_ms.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    model.predict_proba(texts)
    batch_s = time.perf_counter() - started

    table = Table(title="smart dispatch", show_header=False)
    table.add_row("training examples", f"{len(examples)} ({len(model.labels)} categories)")
    table.add_row("jieba start-up", f"{jieba_s:.2f} s")
    table.add_row("training (median of rounds)", f"{statistics.median(train_s):.2f} s")
    table.add_row("temperature", f"{model.temperature:.3f}")
    table.add_row(f"macro-F1 on {len(validation)}", f"{evaluation.macro_f1:.3f}")
    table.add_row("accuracy", f"{evaluation.accuracy:.3f}")
    table.add_row("top-3 accuracy", f"{evaluation.top3_accuracy:.3f}")
    table.add_row("expected calibration error", f"{evaluation.expected_calibration_error:.3f}")
    table.add_row("suggestion p50 / p99 / max", _percentiles(latencies_ms))
    table.add_row("batch of all texts", f"{batch_s:.2f} s ({len(texts) / batch_s:.0f} texts/s)")
    console.print(table)


def _percentiles(values_ms: list[float]) -> str:
    ordered = sorted(values_ms)
    p50 = ordered[max(0, round(0.50 * len(ordered)) - 1)]
    p99 = ordered[max(0, round(0.99 * len(ordered)) - 1)]
    return f"{p50:.1f} / {p99:.1f} / {ordered[-1]:.1f} ms"


if __name__ == "__main__":
    main()
