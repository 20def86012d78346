"""The chat channel: a Telegram bot (aiogram 3) for intake, status, language and surveys.

Updates arrive by webhook (`channels.chat.webhook`, mounted in the API) or long polling
(`hotline chat poll`); either way they go through one dispatcher (`channels.chat.bot`) whose
handlers only validate input and hand it to `intake/`. Outbound notices from the case workflow
leave through `channels.chat.notifier.TelegramNotifier`. See docs/chat.md.
"""
