"""`hotline catalog`: load the category catalog from a file, show it as a tree, search it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from rich.tree import Tree

    from models.catalog import CategoryNode
    from models.unit import Category

app = typer.Typer(
    help="The 3-level category catalog: areas, groups and the leaves cases are filed under.",
    no_args_is_help=True,
)
console = Console()


@app.command()
def load(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A catalog .csv file."),
    replace: bool = typer.Option(
        False, "--replace", help="Deactivate every category that is not in the file."
    ),
) -> None:
    """Insert new categories and update existing ones; nothing is written if any row is wrong."""
    from core.db import get_engine
    from core.settings import get_settings
    from models.catalog import CatalogFileError, load_catalog_file

    engine = get_engine(get_settings().database_url)
    try:
        report = load_catalog_file(engine=engine, path=file, replace=replace)
    except CatalogFileError as exc:
        console.print(f"[red]nothing loaded[/], {len(exc.problems)} problem(s):")
        for problem in exc.problems:
            console.print(f"  {file}: {problem}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc
    console.print(
        f"[green]{report.added}[/] added, [yellow]{report.updated}[/] updated, "
        f"{report.unchanged} unchanged, [red]{report.deactivated}[/] deactivated"
    )


@app.command()
def show(
    code: str | None = typer.Argument(None, help="Show only this category and what is under it."),
    examples: bool = typer.Option(False, "--examples", help="List each leaf's example phrasings."),
    inactive: bool = typer.Option(False, "--inactive", help="Include inactive categories."),
) -> None:
    """The catalog as a tree, with Chinese and English names, unit kinds and deadlines."""
    from rich.tree import Tree
    from sqlmodel import Session

    from core.db import get_engine
    from core.settings import get_settings
    from models.catalog import catalog_tree

    with Session(get_engine(get_settings().database_url)) as session:
        roots = catalog_tree(session=session, code=code, include_inactive=inactive)
    if not roots:
        console.print(f"[red]no category {code!r}[/]" if code else "[red]the catalog is empty[/]")
        raise typer.Exit(1)
    tree = Tree("catalog", hide_root=True)
    for root in roots:
        _add(tree, root, examples=examples)
    console.print(tree)


@app.command()
def search(
    text: str = typer.Argument(..., help="Words to find in names and example phrasings."),
    limit: int = typer.Option(50, min=1, help="Show at most this many categories."),
) -> None:
    """Active categories whose names (zh or en) or example phrasings contain TEXT."""
    from rich.table import Table
    from sqlmodel import Session

    from core.db import get_engine
    from core.settings import get_settings
    from models.catalog import matching_examples, search_categories

    with Session(get_engine(get_settings().database_url)) as session:
        found = search_categories(session=session, text=text, limit=limit)
    if not found:
        console.print(f"no category matches {text!r}")
        raise typer.Exit(1)
    table = Table(title=f"categories matching {text!r}: {len(found)}")
    for column in ("code", "name_zh", "name_en", "unit"):
        table.add_column(column, no_wrap=column == "code")
    table.add_column("matching examples", overflow="fold")
    for category in found:
        table.add_row(
            category.code,
            category.name_zh,
            category.name_en,
            category.unit_code or category.unit_kind or "",
            "\n".join(matching_examples(category, text)),
        )
    console.print(table)


def _add(parent: Tree, node: CategoryNode, *, examples: bool) -> None:
    branch = parent.add(_label(node.category))
    if examples:
        for example in node.category.examples:
            branch.add(f"[dim]“{escape(example)}”[/]")
    for child in node.children:
        _add(branch, child, examples=examples)


def _label(category: Category) -> str:
    label = f"[bold]{category.code}[/] {escape(category.name_zh)}  {escape(category.name_en)}"
    if category.unit_kind:
        label += f"  [cyan]{category.unit_kind}[/]"
    if category.unit_code:
        label += f" [cyan]{escape(category.unit_code)}[/]"
    deadlines = _deadlines(category)
    if deadlines:
        label += f"  [yellow]{deadlines}[/]"
    if not category.active:
        label = f"[dim strike]{label}[/] [red](inactive)[/]"
    return label


def _deadlines(category: Category) -> str:
    parts = []
    if category.acknowledge_hours is not None:
        parts.append(f"ack {category.acknowledge_hours:g} h")
    if category.respond_hours is not None:
        parts.append(f"respond {category.respond_hours:g} h")
    if category.resolve_working_days is not None:
        parts.append(f"resolve {category.resolve_working_days} wd")
    return ", ".join(parts)
