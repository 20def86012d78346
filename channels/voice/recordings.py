"""Fetch a call's recording from Twilio's API, and from nowhere else, streamed under a size cap.

The recording callback names the file in `RecordingUrl`, and fetching it takes the account's
credentials; so the URL must be a recording of our account on the API host the REST client
uses (`https://api.twilio.com`, or `HOTLINE_TWILIO_API_BASE_URL`), else nothing is sent at all.
The body is read in chunks and given up past `HOTLINE_MAX_ATTACHMENT_BYTES` (the recording
becomes an attachment, which may be no larger).
"""

from __future__ import annotations

import re

import httpx

from channels.twilio.rest import TWILIO_API
from core.settings import Settings

RECORDING_PATH = re.compile(
    r"/2010-04-01/Accounts/(?P<account>[A-Za-z0-9]{2,64})/Recordings/[A-Za-z0-9]{2,64}"
    r"(?:\.wav|\.mp3)?"
)


class RecordingRefused(Exception):
    """A recording we do not fetch or do not keep; the message names no person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


def recording_source(settings: Settings, url: str) -> str:
    """The URL to fetch `url` from (rebased on the configured API host), or RecordingRefused."""
    try:
        given = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise RecordingRefused("RecordingUrl is not a URL") from exc
    base = httpx.URL(settings.twilio_api_base_url.rstrip("/"))
    if not any(_same_origin(given, httpx.URL(allowed)) for allowed in (TWILIO_API, base)):
        raise RecordingRefused(
            f"RecordingUrl host {given.host!r} is not the Twilio API host {base.host!r}"
        )
    path = given.path
    match = RECORDING_PATH.fullmatch(path)
    if match is None or given.query or given.fragment or given.userinfo:
        raise RecordingRefused("RecordingUrl is not a recording resource of the Twilio API")
    if match["account"] != settings.twilio_account_sid:
        raise RecordingRefused("RecordingUrl names another Twilio account")
    if not path.endswith((".wav", ".mp3")):
        path += ".wav"
    return str(base.copy_with(path=base.path.rstrip("/") + path))


async def download_recording(settings: Settings, url: str) -> bytes:
    """The recording's bytes, fetched with the account's credentials from the API host only.

    Raises RecordingRefused (a foreign host, or larger than the cap: the transfer stops
    there) or httpx.HTTPError (Twilio did not serve it).
    """
    source = recording_source(settings, url)
    limit = settings.max_attachment_bytes
    auth = (settings.twilio_account_sid, settings.twilio_auth_token)
    # httpx drops the Authorization header on a redirect to another origin.
    async with (
        httpx.AsyncClient(timeout=settings.twilio_timeout_s, follow_redirects=True) as client,
        client.stream("GET", source, auth=auth) as response,
    ):
        response.raise_for_status()
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise RecordingRefused(f"the recording has {declared} bytes; the limit is {limit}")
        data = bytearray()
        async for chunk in response.aiter_bytes():
            data.extend(chunk)
            if len(data) > limit:
                raise RecordingRefused(f"the recording is larger than the limit of {limit} bytes")
    return bytes(data)


def _same_origin(a: httpx.URL, b: httpx.URL) -> bool:
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)
