"""`hotline units`: load the responsible units from a file and list them."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from core.enums import UnitKind

app = typer.Typer(
    help="Responsible units: city, districts, streets, departments, utilities and branches.",
    no_args_is_help=True,
)
console = Console()


@app.command()
def load(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A .csv or .yaml file."),
) -> None:
    """Insert new units and update existing ones; nothing is written if any row is wrong."""
    from core.db import get_engine
    from core.settings import get_settings
    from models.units import UnitsFileError, load_units_file

    engine = get_engine(get_settings().database_url)
    try:
        report = load_units_file(engine=engine, path=file)
    except UnitsFileError as exc:
        console.print(f"[red]nothing loaded[/], {len(exc.problems)} problem(s):")
        for problem in exc.problems:
            console.print(f"  {file}: {problem}", markup=False, highlight=False)
        raise typer.Exit(1) from exc
    console.print(
        f"[green]{report.added}[/] added, [yellow]{report.updated}[/] updated, "
        f"{report.unchanged} unchanged"
    )


@app.command("load-areas")
def load_areas(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="A GeoJSON FeatureCollection (WGS-84)."
    ),
) -> None:
    """Replace the district and street areas map points are located in; nothing changes if
    the file is wrong. Each feature: a Polygon or MultiPolygon and a `code` property (a
    district or street unit code); `"approximate": true` marks areas that are not boundaries."""
    from core.db import get_engine
    from core.settings import get_settings
    from dispatch.geo import AreasFileError, install_areas

    settings = get_settings()
    engine = get_engine(settings.database_url)
    try:
        report = install_areas(engine=engine, path=file, var_dir=settings.var_dir)
    except AreasFileError as exc:
        console.print(f"[red]nothing loaded[/], {len(exc.problems)} problem(s):")
        for problem in exc.problems[:50]:
            console.print(f"  {file}: {problem}", markup=False, highlight=False)
        raise typer.Exit(1) from exc
    console.print(
        f"[green]{report.districts}[/] district and [green]{report.streets}[/] street areas "
        f"loaded ({report.approximate} approximate) into {report.path}",
        highlight=False,
    )


@app.command("list")
def list_(
    kind: UnitKind | None = typer.Option(None, help="Only units of this kind."),
    parent: str | None = typer.Option(None, help="Only the children of this unit code."),
) -> None:
    """Units ordered by code."""
    from rich.table import Table
    from sqlmodel import Session

    from core.db import get_engine
    from core.settings import get_settings
    from models.units import list_units

    with Session(get_engine(get_settings().database_url)) as session:
        units = list_units(session=session, kind=kind, parent_code=parent)
    table = Table(title=f"{len(units)} units")
    columns = ("code", "kind", "name_zh", "name_en", "parent", "serves", "lat", "lon", "active")
    for column in columns:
        table.add_column(column)
    for unit in units:
        table.add_row(
            unit.code,
            unit.kind,
            unit.name_zh,
            unit.name_en,
            unit.parent_code or "",
            " ".join(unit.service_areas),
            "" if unit.latitude is None else f"{unit.latitude:.4f}",
            "" if unit.longitude is None else f"{unit.longitude:.4f}",
            "yes" if unit.active else "no",
        )
    console.print(table)
