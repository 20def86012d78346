"""The duplicate-delivery test drives the channels' webhooks on the bad-input tests' stack."""

from tests.badinput.conftest import (  # noqa: F401  (fixtures, found by name)
    channel_settings,
    channel_telegram,
    channel_twilio,
    channel_worker,
    channels_url,
)
