"""`hotline dispatch`: train the smart dispatch model and ask it where a request should go."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from rich.progress import Progress

    from core.settings import Settings
    from dispatch.evaluation import EvalFigures
    from dispatch.model import LabelledText
    from dispatch.service import DispatchSuggestion, UnitRef
    from dispatch.training import CategoryIndex, Columns, Evaluation

app = typer.Typer(
    help="Smart dispatch: train the category model, suggest categories and units.",
    no_args_is_help=True,
)
console = Console()


def default_model_path(settings: Settings) -> Path:
    """HOTLINE_DISPATCH_MODEL_PATH: the model the workers use."""
    return settings.model_path


@app.command()
def train(
    data: list[Path] = typer.Option(
        [], "--data", exists=True, dir_okay=False, help="A labelled CSV (title,text,label)."
    ),
    validation: Path | None = typer.Option(
        None, exists=True, dir_okay=False, help="Evaluate on this labelled CSV, not a split."
    ),
    text_col: str = typer.Option("text", "--text-col", help="The column of the request's text."),
    label_col: str = typer.Option("label", "--label-col", help="The column of its label."),
    title_col: str | None = typer.Option(
        None, "--title-col", help="A column joined before the text [default: title, if any]."
    ),
    output: Path | None = typer.Option(None, help="Where to save the model (.joblib)."),
    level: int = typer.Option(3, min=1, max=3, help="Catalog level of the categories learnt."),
    cases: bool = typer.Option(True, help="Learn from past cases whose dispatch was final."),
) -> None:
    """Train on the catalog's phrasings, past cases and --data files; evaluate; save.
    Files whose labels are not catalog categories train on their own labels alone."""
    from sqlalchemy.exc import SQLAlchemyError

    from core.db import get_engine
    from core.settings import get_settings
    from dispatch.model import DispatchModelError
    from dispatch.training import (
        CategoryIndex,
        Columns,
        TrainingDataError,
        case_examples,
        catalog_examples,
        read_labelled_files,
        train_and_evaluate,
    )

    settings = get_settings()
    engine = get_engine(settings.database_url)
    output = output or default_model_path(settings)
    files = [*data, *([validation] if validation is not None else [])]
    columns = Columns(text=text_col, label=label_col, title=title_col)
    with _progress() as progress:
        task = progress.add_task("reading the catalog", total=5 + (validation is None))

        def step(description: str) -> None:
            progress.update(task, description=description, advance=1)

        try:
            index = CategoryIndex.from_engine(engine)
            step(f"reading {', '.join(path.name for path in files)}" if files else "")
            parts, catalog_labels = (
                read_labelled_files(files, index, level=level, columns=columns)
                if files
                else ([], True)
            )
            held = parts.pop() if validation is not None else None
            examples = [example for part in parts for example in part]
            if catalog_labels:
                if not index.categories:
                    raise TrainingDataError("the catalog is empty: run `hotline db seed` first")
                examples = catalog_examples(index, level=level) + examples
                if cases:
                    examples += case_examples(engine=engine, index=index, level=level)
            model, evaluation = train_and_evaluate(examples, validation=held, on_step=step)
            step(f"saving {output}")
            model.save(output)
            step("done")
        except (TrainingDataError, DispatchModelError) as exc:
            progress.stop()
            console.print(f"[red]not trained:[/] {escape(str(exc))}")
            raise typer.Exit(1) from exc
        except SQLAlchemyError as exc:
            progress.stop()
            console.print(f"[red]cannot read the database:[/] {exc.__class__.__name__}")
            console.print("run `hotline db upgrade` and `hotline db seed` first")
            raise typer.Exit(1) from exc
    counts = model.info.training_counts["by_source"]
    kind = f"categories at level {level}" if catalog_labels else "labels of the files' own"
    console.print(
        f"trained model {model.info.model_id} on {len(examples)} examples "
        f"({', '.join(f'{n} {source}' for source, n in counts.items())}), "
        f"{len(model.labels)} {kind}; saved to {output}"
    )
    if not catalog_labels:
        console.print(
            "[yellow]its labels are not catalog categories:[/] the catalog and past cases were "
            "left out, and `suggest` finds a unit only once a catalog with these codes is loaded"
        )
    _print_evaluation(evaluation, index)


@app.command("eval")
def eval_command(
    test: Path | None = typer.Argument(
        None,
        exists=True,
        dir_okay=False,
        help="The labelled CSV to evaluate on; without --train a fifth of it is held out.",
    ),
    train_files: list[Path] = typer.Option(
        [], "--train", exists=True, dir_okay=False, help="A labelled CSV to train on."
    ),
    text_col: str = typer.Option("text", "--text-col", help="The column of the request's text."),
    label_col: str = typer.Option("label", "--label-col", help="The column of its label."),
    title_col: str | None = typer.Option(
        None, "--title-col", help="A column joined before the text [default: title, if any]."
    ),
    catalog: bool = typer.Option(True, help="Train on the catalog's phrasings too."),
    catalog_holdout_: bool = typer.Option(
        False,
        "--catalog-holdout",
        help="No files: hold out a fifth of the catalog's phrasings, train on the rest.",
    ),
    level: int = typer.Option(1, min=1, max=3, help="Catalog level of the categories learnt."),
) -> None:
    """Train a fresh model (nothing saved) and evaluate it on texts it has not seen:
    accuracy, macro-F1, top-3, calibration error, the share it could dispatch automatically
    and the latency of one suggestion. Labels that are not catalog categories (a city's own)
    are learnt as they are."""
    from dispatch.evaluation import catalog_holdout, run_eval
    from dispatch.model import DispatchModelError
    from dispatch.training import Columns, TrainingDataError

    if catalog_holdout_ == (test is not None) or (catalog_holdout_ and train_files):
        console.print("[red]not evaluated:[/] give either FILE (and --train) or --catalog-holdout")
        raise typer.Exit(2)
    columns = Columns(text=text_col, label=label_col, title=title_col)
    index = _catalog_index(required=catalog_holdout_)
    try:
        if catalog_holdout_:
            if not index.categories:
                raise TrainingDataError("the catalog is empty: run `hotline db seed` first")
            examples, held = catalog_holdout(index, level=level)
            name = f"catalog held-out fifth ({len(held)} phrasings)"
        else:
            assert test is not None
            examples, held, name = _eval_files(test, train_files, index, columns, level, catalog)
        with _progress() as progress:
            progress.add_task("training and evaluating", total=None)
            _, figures = run_eval(examples, held, name=name)
    except (TrainingDataError, DispatchModelError) as exc:
        console.print(f"[red]not evaluated:[/] {escape(str(exc))}")
        raise typer.Exit(1) from exc
    _print_figures(figures)
    _print_evaluation(figures.evaluation, index)


def _eval_files(
    test: Path,
    train_files: list[Path],
    index: CategoryIndex,
    columns: Columns,
    level: int,
    catalog: bool,
) -> tuple[list[LabelledText], list[LabelledText], str]:
    """(training examples, test examples, name) for `eval FILE [--train FILE2 …]`."""
    from dispatch.training import catalog_examples, read_labelled_files, split_holdout

    files, catalog_labels = read_labelled_files(
        [*train_files, test], index, level=level, columns=columns
    )
    *training_files, held = files
    examples = [example for part in training_files for example in part]
    name = f"{test.name} ({len(held)} texts)"
    if not train_files:
        examples, held = split_holdout(held)
        name = f"{test.name}: held-out fifth ({len(held)} texts)"
    if not catalog_labels:
        count = len({example.label for example in [*examples, *held]})
        console.print(
            f"[dim]labels not in the catalog: learning the files' {count} labels as they are, "
            "without the catalog's phrasings[/]"
        )
    elif catalog:
        examples = catalog_examples(index, level=level) + examples
    return examples, held, name


def _catalog_index(*, required: bool) -> CategoryIndex:
    """The catalog from the database; an empty one when there is none and none is `required`."""
    from sqlalchemy.exc import SQLAlchemyError

    from core.db import get_engine
    from core.settings import get_settings
    from dispatch.training import CategoryIndex

    try:
        return CategoryIndex.from_engine(get_engine(get_settings().database_url))
    except SQLAlchemyError as exc:
        if not required:
            console.print("[dim]no catalog in the database: labels are learnt as they are[/]")
            return CategoryIndex([])
        console.print(f"[red]cannot read the database:[/] {exc.__class__.__name__}")
        console.print("run `hotline db upgrade` and `hotline db seed` first")
        raise typer.Exit(1) from exc


@app.command("suggest")
def suggest_command(
    text: str = typer.Argument(..., help="The request's description, Chinese or English."),
    address: str | None = typer.Option(None, help="Where the problem is."),
    latitude: float | None = typer.Option(
        None, "--lat", "--latitude", min=-90, max=90, help="Where the problem is on a map."
    ),
    longitude: float | None = typer.Option(None, "--lon", "--longitude", min=-180, max=180),
    k: int = typer.Option(3, "--k", min=1, help="How many categories to suggest."),
    model_path: Path | None = typer.Option(None, "--model", help="A saved model (.joblib)."),
    threshold: float | None = typer.Option(
        None,
        min=0,
        max=1,
        help="Dispatch automatically from this probability (default: HOTLINE_DISPATCH_THRESHOLD).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the suggestion as JSON."),
) -> None:
    """The likeliest categories for TEXT, with probabilities, reasons and units."""
    from core.db import get_engine
    from core.settings import get_settings
    from dispatch.model import DispatchModel, DispatchModelError
    from dispatch.service import suggest

    settings = get_settings()
    path = model_path or default_model_path(settings)
    try:
        model = DispatchModel.load(path)
        result = suggest(
            text=text,
            address=address,
            latitude=latitude,
            longitude=longitude,
            k=k,
            model=model,
            engine=get_engine(settings.database_url),
            threshold=settings.dispatch_threshold if threshold is None else threshold,
        )
    except DispatchModelError as exc:
        console.print(f"[red]no suggestion:[/] {escape(str(exc))}")
        raise typer.Exit(1) from exc
    if as_json:
        import json

        typer.echo(json.dumps(suggestion_json(result), ensure_ascii=False, indent=2))
    else:
        _print_suggestion(result)


def suggestion_json(result: DispatchSuggestion) -> dict[str, Any]:
    """The suggestion for scripts: categories, the unit chosen, automatic or not and why,
    the place found and how sure."""
    from dataclasses import asdict

    def unit(ref: UnitRef | None) -> dict[str, Any] | None:
        return None if ref is None else asdict(ref)

    return {
        "automatic": result.automatic,
        "reason": result.reason,
        "unit": unit(result.unit),
        "unit_probability": round(result.unit_probability, 4),
        "category_code": result.category_code,
        "categories": [
            {
                "code": item.category_code,
                "name_zh": item.name_zh,
                "name_en": item.name_en,
                "probability": round(item.probability, 4),
                "matched_terms": list(item.matched_terms),
                "unit_kind": item.unit_kind,
                "unit": unit(item.unit),
                "unit_reason": item.unit_reason,
            }
            for item in result.categories
        ],
        "place": None if result.location is None else asdict(result.location),
        "model_id": result.model_id,
        "threshold": result.threshold,
    }


def _progress() -> Progress:
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _print_figures(figures: EvalFigures) -> None:
    console.print(
        f"trained on {figures.train_examples} examples in {figures.training_s:.2f} s; "
        f"one suggestion {figures.latency_p50_ms:.1f} ms p50 / {figures.latency_p99_ms:.1f} ms p99"
    )


def _print_evaluation(evaluation: Evaluation, index: CategoryIndex) -> None:
    from rich.table import Table

    summary = Table(title=f"evaluated on the {evaluation.evaluated_on}", show_header=False)
    summary.add_row("macro-F1", f"{evaluation.macro_f1:.3f}")
    summary.add_row("accuracy", f"{evaluation.accuracy:.3f}")
    summary.add_row("top-3 accuracy", f"{evaluation.top3_accuracy:.3f}")
    summary.add_row("expected calibration error", f"{evaluation.expected_calibration_error:.3f}")
    automatic = evaluation.automatic
    summary.add_row(
        f"automatic at ≥ {automatic.target:.0%} precision",
        f"{automatic.share:.1%} from {automatic.threshold:.3f} (right {automatic.precision:.1%})"
        if automatic.threshold is not None
        else "none: no threshold keeps that precision",
    )
    console.print(summary)
    per_label = Table(title="F1 by category")
    for column in ("code", "category", "F1"):
        per_label.add_column(column)
    for code, score in evaluation.per_label_f1.items():
        category = index.categories.get(code)
        name = f"{category.name_zh} {category.name_en}" if category else ""
        per_label.add_row(code, name, f"{score:.3f}")
    console.print(per_label)
    reliability = Table(title="reliability (right as often as sure?)")
    for column in ("confidence", "suggestions", "mean confidence", "right"):
        reliability.add_column(column, justify="right")
    for bin_ in evaluation.reliability:
        reliability.add_row(
            f"{bin_.low:.1f}-{bin_.high:.1f}",
            str(bin_.count),
            f"{bin_.confidence:.2f}",
            f"{bin_.accuracy:.2f}",
        )
    console.print(reliability)


def _print_suggestion(result: DispatchSuggestion) -> None:
    from rich.table import Table

    table = Table(title=f"suggestions (model {result.model_id})")
    for column in ("code", "category", "probability", "reason", "unit"):
        table.add_column(column)
    for item in result.categories:
        unit = f"{item.unit.code} {item.unit.name_zh}" if item.unit else "—"
        table.add_row(
            item.category_code,
            f"{item.name_zh}\n{item.name_en}",
            f"{item.probability:.1%}",
            ", ".join(item.matched_terms) or "—",
            f"{unit}\n[dim]{escape(item.unit_reason)}[/]",
        )
    console.print(table)
    if result.location is not None:
        console.print(f"place: {escape(result.location.reason)}")
    if result.unit is not None:
        console.print(f"unit: {result.unit.code} {result.unit.name_zh} ({result.unit.kind})")
    verdict = "[green]automatic[/]" if result.automatic else "[yellow]dispatcher's queue[/]"
    console.print(f"{verdict}: {escape(result.reason)}")
