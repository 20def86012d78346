"""`hotline speech`: transcribe a file offline, and list, check and install Vosk models."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

app = typer.Typer(help="Offline speech-to-text (Vosk).", no_args_is_help=True)
models_app = typer.Typer(help="Speech models, one per language.", no_args_is_help=True)
app.add_typer(models_app, name="models")
console = Console()


@app.command()
def transcribe(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A WAV file."),
    lang: str = typer.Option("zh", "--lang", help="Language code of the model to use."),
) -> None:
    """Print the text spoken in FILE."""
    from core.settings import get_settings
    from speech.audio import AudioError
    from speech.registry import ModelInstallError, ModelMissing, shared_registry
    from speech.transcribe import transcribe_wav

    try:
        text = transcribe_wav(file, registry=shared_registry(get_settings()), language=lang)
    except (ModelMissing, ModelInstallError, AudioError) as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    typer.echo(text)


@models_app.command("list")
def list_models() -> None:
    """Every language with a model configured, installed or shipped by a package."""
    from rich.table import Table

    from core.settings import get_settings
    from speech.registry import shared_registry

    registry = shared_registry(get_settings())
    table = Table("language", "source", "usable", "path")
    for language in registry.languages():
        info = registry.info(language)
        table.add_row(language, info.source, "yes" if info.usable else "no", str(info.path or "-"))
    console.print(table)


@models_app.command("check")
def check_model(lang: str = typer.Option(..., "--lang", help="Language code.")) -> None:
    """Load the language's model; exit 1 with the reason when it cannot be used."""
    from core.settings import get_settings
    from speech.registry import ModelInstallError, ModelMissing, shared_registry

    registry = shared_registry(get_settings())
    try:
        registry.get(lang)
    except (ModelMissing, ModelInstallError) as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    console.print(f"model for '{lang}' loads from {registry.locate(lang)[0]}")


@models_app.command("install")
def install(
    lang: str = typer.Option(..., "--lang", help="Language code, e.g. zh or en."),
    source: str = typer.Option(..., "--from", help="A model zip: a local path, or a URL."),
) -> None:
    """Unpack a Vosk model zip as the language's model (under HOTLINE_SPEECH_MODELS_DIR)."""
    from core.settings import get_settings
    from speech.registry import ModelInstallError, install_model

    settings = get_settings()
    try:
        path = install_model(language=lang, source=source, models_dir=settings.speech_models_path)
    except ModelInstallError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    console.print(f"installed the '{lang}' model at {path}")
