"""`hotline apikey`: issue, list and revoke the API keys of integrations (Open311, request API)."""

from __future__ import annotations

import typer
from rich.console import Console

from core.enums import Channel

app = typer.Typer(
    help="API keys for integrations (Open311, the request API).", no_args_is_help=True
)
console = Console()


@app.command()
def create(
    name: str = typer.Argument(..., help="The client application the key is for."),
    channel: Channel = typer.Option(
        Channel.open311,
        help="The channel its requests are filed as: open311 for a GeoReport client, or the "
        "citizen channel of an integration posting to /api/v1/requests (with X-API-Key).",
    ),
) -> None:
    """Issue a key; the secret is printed once and only its hash is stored."""
    from core.db import get_engine
    from core.settings import get_settings
    from models.api_key import ApiKeyError, create_api_key

    try:
        issued = create_api_key(
            engine=get_engine(get_settings().database_url), name=name, channel=channel
        )
    except ApiKeyError as exc:
        console.print(f"[red]{exc}[/]", highlight=False)
        raise typer.Exit(1) from exc
    console.print(
        f"key {issued.key.prefix} issued to {issued.key.name} for channel {issued.key.channel}",
        highlight=False,
    )
    console.print("the secret, shown only now (pass it as api_key):", highlight=False)
    typer.echo(issued.secret)


@app.command("list")
def list_(
    active: bool = typer.Option(False, "--active", help="Leave out revoked keys."),
) -> None:
    """Keys by client: prefix, when issued, last used and revoked."""
    from rich.table import Table
    from sqlmodel import Session

    from core.db import get_engine
    from core.settings import get_settings
    from models.api_key import list_api_keys

    with Session(get_engine(get_settings().database_url)) as session:
        keys = list_api_keys(session=session, include_revoked=not active)
    table = Table(title=f"{len(keys)} API keys")
    for column in ("client", "prefix", "channel", "created", "last used", "revoked"):
        table.add_column(column)
    for key in keys:
        table.add_row(
            key.name,
            key.prefix,
            key.channel.value,
            f"{key.created_at:%Y-%m-%d %H:%M}",
            f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "",
            f"{key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "",
        )
    console.print(table)


@app.command()
def revoke(
    name_or_prefix: str = typer.Argument(..., help="A client name (all its keys) or a prefix."),
) -> None:
    """Revoke a client's keys, or one key by its prefix; requests with them get 403."""
    from core.db import get_engine
    from core.settings import get_settings
    from models.api_key import ApiKeyError, revoke_api_keys

    try:
        count = revoke_api_keys(
            engine=get_engine(get_settings().database_url), name_or_prefix=name_or_prefix
        )
    except ApiKeyError as exc:
        console.print(f"[red]{exc}[/]", highlight=False)
        raise typer.Exit(1) from exc
    console.print(f"{count} key(s) revoked", highlight=False)
