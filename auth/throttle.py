"""Guessing throttles: failed staff logins and wrong one-time codes, counted where all API
processes see them.

Each failure is one count in a fixed window of `HOTLINE_LOGIN_WINDOW_S` in the rate-limit store
the channels use (`rate_limit_windows`, or process memory with the memory backend), under a
channel of its own. A login is refused for the rest of the window once its (username, client
address) pair or its address alone reached its limit: an attacker locks out their own address,
never a colleague logging in from elsewhere. Keys are short (a username counts by its SHA-256,
an IPv6 client by its /64) and the store keeps only the current window, so no flood of made-up
names can grow it beyond what arrives within one window. The names tried are never stored:
a failed "username" is often a password typed into the wrong field.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from dataclasses import dataclass
from typing import Any, NamedTuple

from channels.rate_limit import RateStore, store_from_settings
from core.clock import Clock, utcnow
from core.settings import Settings

LOGIN = "login"  # a (client address, username) pair
LOGIN_ADDRESS = "login-address"  # a client address, whatever the names tried
DETAILS_CODE = "details-code"  # wrong one-time codes for a case
DETAILS_SEND = "details-send"  # one-time codes sent for a case
DETAILS_SENDER = "details-sender"  # one-time codes one client address asked for, any case
CASE_NUMBER_CHARS = 32


@dataclass(frozen=True)
class Limit:
    """At most `max_failures` failures of `key` per window, counted under `channel`."""

    channel: str
    key: str
    max_failures: int


class Throttle:
    def __init__(self, *, store: RateStore, window_s: int, clock: Clock = utcnow) -> None:
        self.store = store
        self.window_s = window_s
        self.clock = clock

    def retry_after(self, *limits: Limit) -> int:
        """Seconds until another try when any of `limits` is used up; 0 when a try is allowed."""
        now, start = self._now_and_window()
        for limit in limits:
            if self.store.count(limit.channel, limit.key, start) >= limit.max_failures:
                return max(1, math.ceil(start + self.window_s - now))
        return 0

    def failed(self, *limits: Limit) -> None:
        _, start = self._now_and_window()
        for limit in limits:
            self.store.hit(limit.channel, limit.key, start)

    def succeeded(self, limit: Limit) -> None:
        """Forget the failures of one key (a login's pair; never its address: a colleague's
        success must not reset an attacker's count)."""
        self.store.clear(limit.channel, limit.key)

    def _now_and_window(self) -> tuple[float, int]:
        now = self.clock().timestamp()
        return now, int(now) - int(now) % self.window_s


class LoginLimits(NamedTuple):
    pair: Limit  # this username from this address
    address: Limit  # any username from this address


def login_limits(settings: Settings, *, username: str, address: str) -> LoginLimits:
    name = hashlib.sha256(username.strip().lower().encode("utf-8", "surrogatepass"))
    client = address_key(address)
    return LoginLimits(
        pair=Limit(LOGIN, f"{client} {name.hexdigest()}", settings.login_max_failures),
        address=Limit(LOGIN_ADDRESS, client, settings.login_max_failures_per_address),
    )


def code_limit(settings: Settings, channel: str, number: str) -> Limit:
    """Guesses at (DETAILS_CODE) or sends of (DETAILS_SEND) one case's one-time code."""
    return Limit(channel, number[:CASE_NUMBER_CHARS], settings.login_max_failures)


def sender_limit(settings: Settings, address: str) -> Limit:
    """Codes one client address may have sent, whatever the cases: no texting every citizen."""
    return Limit(DETAILS_SENDER, address_key(address), settings.details_codes_per_address)


def address_key(address: str) -> str:
    """An IPv4 address as it is; an IPv6 one by its /64, which one subscriber gets whole."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def app_throttle(request: Any) -> Throttle:
    """The throttle of this app, made on first use from its settings and database."""
    state = request.app.state
    throttle: Throttle | None = getattr(state, "throttle", None)
    if throttle is None:
        settings: Settings = state.settings
        store = store_from_settings(settings, state.engine)
        throttle = Throttle(store=store, window_s=settings.login_window_s)
        state.throttle = throttle
    return throttle
