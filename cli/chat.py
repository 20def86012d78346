"""`hotline chat`: run the Telegram bot by long polling, or point Telegram at our webhook."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import typer
from rich.console import Console

if TYPE_CHECKING:
    from temporalio.client import Client

app = typer.Typer(help="The Telegram bot (chat channel).", no_args_is_help=True)
console = Console()


@app.command()
def poll() -> None:
    """Run the bot by long polling (no public URL needed); removes any webhook first."""
    from channels.chat.bot import ChatNotConfigured, run_polling
    from channels.chat.deps import ChatDeps
    from core.db import get_engine
    from core.settings import get_settings
    from core.temporal import connect_temporal

    settings = get_settings()
    if not settings.telegram_bot_token:
        console.print(f"[red]cannot start:[/] {ChatNotConfigured()}")
        raise typer.Exit(2)
    client: Client | None = None

    async def temporal() -> Client:
        nonlocal client
        if client is None:
            client = await connect_temporal(settings)
        return client

    deps = ChatDeps(engine=get_engine(settings.database_url), settings=settings, temporal=temporal)
    try:
        asyncio.run(run_polling(deps))
    except KeyboardInterrupt:
        pass


@app.command("set-webhook")
def set_webhook(
    url: str = typer.Option(
        "", help="Public URL of the webhook; default: HOTLINE_PUBLIC_BASE_URL + the webhook's path"
    ),
    drop_pending: bool = typer.Option(False, help="Discard updates waiting at Telegram."),
) -> None:
    """Tell Telegram to deliver updates to the API's webhook, with the secret token."""
    from aiogram.exceptions import TelegramAPIError

    from channels.chat.bot import build_bot
    from channels.chat.webhook import PATH
    from core.settings import get_settings

    settings = get_settings()
    if not settings.telegram_bot_token or not settings.telegram_webhook_secret:
        console.print(
            "[red]cannot set the webhook:[/] set HOTLINE_TELEGRAM_BOT_TOKEN and "
            "HOTLINE_TELEGRAM_WEBHOOK_SECRET"
        )
        raise typer.Exit(2)
    target = url or settings.public_base_url.rstrip("/") + PATH

    async def call() -> None:
        async with build_bot(settings) as bot:
            await bot.set_webhook(
                target,
                secret_token=settings.telegram_webhook_secret,
                drop_pending_updates=drop_pending,
                allowed_updates=["message", "callback_query"],
            )

    try:
        asyncio.run(call())
    except TelegramAPIError as exc:
        console.print(f"[red]Telegram refused the webhook:[/] {exc}")
        raise typer.Exit(1) from exc
    console.print(f"webhook set: {target}")
