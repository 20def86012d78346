"""The e-mail notifier against a real local SMTP server: what a citizen's mailbox receives."""

from __future__ import annotations

import smtplib

import pytest

from channels.email.notifier import EmailNotifier, email_configured
from channels.registry import channel_notifiers
from core.settings import Settings
from models.enums import Channel, Language
from notices.port import OutboundMessage
from tests.utils.factories import unique_email
from tests.utils.servers import free_port
from tests.utils.smtp_server import SENDER, RecordingSmtp, html_of, smtp_settings_for, text_of
from workflows.activities import with_survey_link

NUMBER = "20261130-000042"


def _message(address: str, language: Language = Language.zh, **overrides: str) -> OutboundMessage:
    values = {
        "case_number": NUMBER,
        "channel": Channel.web,
        "address": address,
        "language": language,
        "kind": "resolved",
        "text": "诉求 20261130-000042 已办结。答复：<路灯已修复> http://x.test/track",
    }
    values.update(overrides)
    return OutboundMessage(**values)  # type: ignore[arg-type]


async def test_a_notice_arrives_as_text_and_html_with_a_subject_in_the_citizens_language(
    settings: Settings, smtp_server: RecordingSmtp
) -> None:
    notifier = EmailNotifier(smtp_settings_for(settings, smtp_server))
    zh, en = unique_email(), unique_email()
    sent_id = await notifier.send(_message(zh))
    await notifier.send(_message(en, Language.en, text="Case 20261130-000042 was resolved."))
    [chinese] = await smtp_server.wait_for(zh)
    [english] = await smtp_server.wait_for(en)
    assert chinese["From"] == SENDER and chinese["Message-ID"] == sent_id
    assert chinese["Subject"] == f"12345 市民服务热线：诉求 {NUMBER}"
    assert english["Subject"] == f"12345 citizen hotline: case {NUMBER}"
    assert text_of(chinese).strip() == _message(zh).text
    body = html_of(chinese)
    assert "&lt;路灯已修复&gt;" in body and '<a href="http://x.test/track">' in body
    assert '<html lang="zh-CN">' in body


async def test_a_retried_notice_carries_the_same_message_id(
    settings: Settings, smtp_server: RecordingSmtp
) -> None:
    """The outbox stops a sent notice from going again; a send whose 'sent' mark was lost
    repeats with the same Message-ID, which mail clients show once."""
    notifier = EmailNotifier(smtp_settings_for(settings, smtp_server))
    address = unique_email()
    first = await notifier.send(_message(address))
    second = await notifier.send(_message(address))
    other = await notifier.send(_message(address, kind="dispatched", text="已派单"))
    assert first == second != other


async def test_a_refused_address_is_recorded_not_retried_and_a_down_server_retries(
    settings: Settings, smtp_server: RecordingSmtp
) -> None:
    notifier = EmailNotifier(smtp_settings_for(settings, smtp_server))
    address = unique_email()
    smtp_server.refuse[address] = 550
    assert await notifier.send(_message(address)) == "email-refused:550"
    temporary = unique_email()
    smtp_server.refuse[temporary] = 451
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        await notifier.send(_message(temporary))
    down = smtp_settings_for(settings, smtp_server).model_copy(update={"smtp_port": free_port()})
    with pytest.raises(OSError):
        await EmailNotifier(down).send(_message(unique_email()))


def test_unset_smtp_host_means_no_email_notifier(
    settings: Settings, smtp_server: RecordingSmtp, engine: object
) -> None:
    assert not email_configured(settings)
    assert not channel_notifiers(settings, engine).delivers(Channel.web)  # type: ignore[arg-type]
    configured = smtp_settings_for(settings, smtp_server)
    registry = channel_notifiers(configured, engine)  # type: ignore[arg-type]
    assert isinstance(registry.for_channel(Channel.web), EmailNotifier)


def test_a_survey_link_that_would_be_trimmed_from_an_sms_goes_first() -> None:
    question = "诉求回访：" + "请回答三个问题。" * 20
    line = "也可以在网页上回答：https://12345.example.gov.cn/survey/" + "x" * 100
    assert with_survey_link(question, line, Channel.web, 1) == f"{question}\n{line}"
    assert with_survey_link("短", line, Channel.sms, 6) == f"短\n{line}"
    assert with_survey_link(question, line, Channel.sms, 3) == f"{line}\n{question}"
