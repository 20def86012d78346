"""`hotline dispatch eval`: a fresh model evaluated on the catalog's held-out phrasings or on a
labelled file, with its figures printed."""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.dispatch import app
from dispatch.evaluation import catalog_holdout, labelled_pairs, percentile
from dispatch.training import CategoryIndex

DATA = Path(__file__).resolve().parents[3] / "shared/data/dispatch"


def slice_of(source: Path, target: Path, start: int, rows: int) -> Path:
    """The header of `source` and its rows start..start+rows (one line a row)."""
    with source.open(encoding="utf-8") as handle:
        header = next(handle)
        target.write_text(header + "".join(islice(handle, start, start + rows)), "utf-8")
    return target


def test_eval_on_the_catalog_holdout(cli_settings: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "--catalog-holdout"])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())  # rich wraps lines at the terminal's width
    assert "catalog held-out fifth" in output
    assert "macro-F1" in output and "ms p99" in output
    assert not list(cli_settings.rglob("*.joblib"))  # evaluating saves no model


def test_eval_on_a_labelled_file(cli_settings: Path) -> None:
    source = DATA / "teddy2020_train.csv"
    if not source.is_file():
        pytest.skip(f"{source} is missing (see shared/data/dispatch/README.md)")
    train = slice_of(source, cli_settings / "train.csv", 0, 200)
    test = slice_of(source, cli_settings / "test.csv", 200, 50)
    result = CliRunner().invoke(app, ["eval", str(test), "--train", str(train), "--no-catalog"])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "test.csv (50 texts)" in output
    assert "accuracy" in output and "trained on 200 examples" in output


def test_eval_needs_either_a_test_file_or_the_catalog_holdout(cli_settings: Path) -> None:
    assert CliRunner().invoke(app, ["eval"]).exit_code == 2


def test_the_catalog_holdout_is_a_stratified_fifth_of_the_phrasings(engine: Engine) -> None:
    index = CategoryIndex.from_engine(engine)
    train, held = catalog_holdout(index)
    assert held and {example.source for example in held} == {"catalog"}
    # A fifth of the phrasings; the leaf names (zh and en) always train.
    assert 0.1 < len(held) / (len(train) + len(held)) < 0.2
    assert {example.label for example in held} <= {example.label for example in train}
    assert catalog_holdout(index)[1] == held  # a fixed seed


def test_labelled_pairs_need_both_splits(tmp_path: Path) -> None:
    for name in ("a_train.csv", "a_validation.csv", "b_train.csv", "c_validation.csv"):
        (tmp_path / name).write_text("title,text,label\n", "utf-8")
    assert [name for name, _, _ in labelled_pairs(tmp_path)] == ["a"]
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0 and percentile([], 0.99) == 0.0
