"""Sessions, secrets and throttles (defects 6, 7 and 9 of issue 13), attacked over HTTP.

Each test sends what the attacker sent: a token signed with the placeholder secret, a cookie or
bearer token kept from before a logout or a password change, thousands of made-up usernames of
100 kB each through the proxy. Apps are served as `hotline api` serves them (X-Forwarded-For
from the configured proxy only); "the proxy" is this test process on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.main import create_app
from auth.throttle import LOGIN, LOGIN_ADDRESS, Limit, Throttle
from auth.tokens import TokenKind, issue_api_token, sign
from channels.rate_limit import DatabaseStore
from cli.secret_key import laptop_secret_key
from core.settings import PLACEHOLDER_SECRET, Environment, Settings
from models.channels import RateLimitWindow
from models.enums import StaffRole
from tests.utils.processes import ROOT, hotline_env, start_hotline, stop
from tests.utils.servers import free_port, serve
from tests.utils.staff import StaffAccount, console_login, csrf_of, make_staff

PROXY = "127.0.0.1"  # nginx, as far as the app can tell
# Throttle windows are fixed (they start at multiples of their length): one of ~30 years keeps
# a test's tries inside one window whatever the time of day.
ONE_WINDOW = {"login_window_s": 10**9}
NEW_PASSWORD = "another horse battery"


def some_address() -> str:
    """A client address of its own for each test (10.0.0.0/8), so counts never mix."""
    return str(ipaddress.IPv4Address(0x0A000000 | (uuid.uuid4().int & 0xFFFFFF)))


def via_proxy(client: str, spoofed: str | None = None) -> dict[str, str]:
    """The header nginx sends: what the client claimed (if anything), then the client's
    real address, appended by nginx ($proxy_add_x_forwarded_for)."""
    return {"X-Forwarded-For": f"{spoofed}, {client}" if spoofed else client}


def token_request(
    url: str, username: str, password: str, address: str, spoofed: str | None = None
) -> httpx.Response:
    return httpx.post(
        f"{url}/api/v1/auth/token",
        data={"username": username, "password": password},
        headers=via_proxy(address, spoofed),
        timeout=60,
    )


def behind_proxy(settings: Settings) -> Settings:
    return settings.model_copy(update={"trusted_proxies": PROXY, **ONE_WINDOW})


@contextmanager
def serve_behind_proxy(settings: Settings) -> Iterator[str]:
    proxied = behind_proxy(settings)
    with serve(create_app(proxied), trusted_proxies=proxied.trusted_proxy_list) as url:
        yield url


def developer_settings(settings: Settings, secret_key: str) -> Settings:
    """A laptop's settings (environment `development`) on the session's database."""
    return Settings(
        environment=Environment.development,
        secret_key=secret_key,
        database_url=settings.database_url,
        var_dir=settings.var_dir,
        temporal_address=settings.temporal_address,
        temporal_task_queue=settings.temporal_task_queue,
        smart_dispatch=False,
        _env_file=None,  # type: ignore[call-arg]
    )


def me(url: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.get(f"{url}/api/v1/me", headers=headers, timeout=60)


def bearer_of(url: str, account: StaffAccount, password: str | None = None) -> dict[str, str]:
    response = httpx.post(
        f"{url}/api/v1/auth/token",
        data={"username": account.username, "password": password or account.password},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def console_page(url: str, cookies: httpx.Cookies) -> httpx.Response:
    """The console's case list, asked for with a cookie the attacker kept."""
    with httpx.Client(base_url=url, cookies=cookies, timeout=60) as replay:
        return replay.get("/console/cases")


def refused_to_login(response: httpx.Response) -> bool:
    return response.status_code == 303 and response.headers["location"] == "/console/login"


# ---- defect 7: secrets ---------------------------------------------------------------------


@pytest.mark.parametrize("environment", [Environment.development, Environment.production])
@pytest.mark.parametrize("secret", [PLACEHOLDER_SECRET, "x" * 31])
def test_settings_refuse_a_placeholder_or_short_secret_outside_tests(
    environment: Environment, secret: str
) -> None:
    """Defect 7 of issue 13: `change-me` was accepted in development."""
    with pytest.raises(ValidationError) as refused:
        Settings(environment=environment, secret_key=secret, _env_file=None)  # type: ignore[call-arg]
    message = str(refused.value)
    assert "HOTLINE_SECRET_KEY" in message
    assert "secrets.token_urlsafe(48)" in message
    assert secret not in message.replace("'change-me'", "")  # the error shows no secret


def test_an_app_without_a_secret_refuses_to_start_outside_tests(settings: Settings) -> None:
    """Defect 7 of issue 13: with no secret, the app used to sign with `change-me`."""
    with pytest.raises(ValueError, match="HOTLINE_SECRET_KEY is not set: anyone who knows"):
        create_app(developer_settings(settings, secret_key=""))


def test_a_token_forged_with_the_placeholder_is_refused_by_an_app_with_a_generated_secret(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    """Defect 7 of issue 13: an admin token signed with `change-me` opened the staff API."""
    secret, path = laptop_secret_key(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert laptop_secret_key(tmp_path) == (secret, path)  # made once, then kept
    admin = make_staff(engine, StaffRole.admin)
    with serve(create_app(developer_settings(settings, secret))) as url:
        for version in range(3):
            forged = issue_api_token(PLACEHOLDER_SECRET, admin.username, version)
            answer = me(url, {"Authorization": f"Bearer {forged}"})
            assert answer.status_code == 401
            assert answer.json() == {"detail": "the token is invalid or has expired: log in again"}
        cookie = sign(PLACEHOLDER_SECRET, TokenKind.session, {"u": admin.username, "v": "0"})
        assert refused_to_login(console_page(url, httpx.Cookies({"hotline_console": cookie})))
        assert me(url, bearer_of(url, admin)).json()["role"] == "admin"  # the real login works


def test_api_and_worker_started_without_a_secret_say_how_to_make_one(
    settings: Settings, tmp_path: Path
) -> None:
    """Defect 7 of issue 13: `hotline api` and `hotline worker` ran on the placeholder."""
    laptop = developer_settings(settings, secret_key="").model_copy(
        update={"api_port": free_port()}
    )
    for command in ("api", "worker"):
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "cli.main", command],
            cwd=ROOT,
            env=hotline_env(laptop),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 2, result.stdout + result.stderr
        said = " ".join(result.stdout.split())
        assert "cannot start: HOTLINE_SECRET_KEY is not set" in said
        assert 'python -c "import secrets; print(secrets.token_urlsafe(48))"' in said


# ---- defect 9: logout and password change end sessions and tokens --------------------------


def test_a_bearer_token_is_refused_after_logout(api_url: str, engine: Engine) -> None:
    """Defect 9 of issue 13: a token kept from before the logout still worked for hours."""
    account, colleague = (
        make_staff(engine, StaffRole.supervisor),
        make_staff(engine, StaffRole.admin),
    )
    kept, other = bearer_of(api_url, account), bearer_of(api_url, account)
    colleagues = bearer_of(api_url, colleague)
    assert me(api_url, kept).status_code == 200
    logout = httpx.post(f"{api_url}/api/v1/auth/logout", headers=other, timeout=60)
    assert logout.status_code == 204
    for token in (kept, other):  # every token of the user: log out everywhere
        answer = me(api_url, token)
        assert answer.status_code == 401
        assert answer.json() == {"detail": "the token is invalid or has expired: log in again"}
    assert me(api_url, colleagues).status_code == 200  # nobody else's
    assert me(api_url, bearer_of(api_url, account)).status_code == 200  # logging in again works


def test_a_console_cookie_is_refused_after_logout(api_url: str, engine: Engine) -> None:
    """Defect 9 of issue 13: logout only asked the browser to forget the cookie."""
    account = make_staff(engine, StaffRole.dispatcher)
    token = bearer_of(api_url, account)
    with console_login(api_url, account) as browser:
        kept = httpx.Cookies(browser.cookies)
        assert console_page(api_url, kept).status_code == 200
        csrf = csrf_of(browser.get("/console/cases").text)
        assert refused_to_login(browser.post("/console/logout", data={"csrf_token": csrf}))
    assert refused_to_login(console_page(api_url, kept))
    assert me(api_url, token).status_code == 401  # the console logs out everywhere too


def test_tokens_and_cookies_are_refused_after_a_password_change(
    api_url: str, engine: Engine, settings: Settings
) -> None:
    """Defect 9 of issue 13: a stolen token outlived the password it was issued for."""
    account = make_staff(engine, StaffRole.admin)
    token = bearer_of(api_url, account)
    with console_login(api_url, account) as browser:
        kept = httpx.Cookies(browser.cookies)
    changed = subprocess.run(  # noqa: S603 - `hotline staff passwd`, as an admin runs it
        [sys.executable, "-m", "cli.main", "staff", "passwd", account.username],
        cwd=ROOT,
        env={**hotline_env(settings), "HOTLINE_STAFF_PASSWORD": NEW_PASSWORD},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert changed.returncode == 0, changed.stdout + changed.stderr
    assert me(api_url, token).status_code == 401
    assert refused_to_login(console_page(api_url, kept))
    assert me(api_url, bearer_of(api_url, account, NEW_PASSWORD)).status_code == 200


# ---- defect 6: throttles keyed by (username, address), bounded, shared ---------------------


def test_huge_usernames_leave_the_throttle_store_bounded_and_lock_only_the_attackers_address(
    settings: Settings, engine: Engine
) -> None:
    """Defect 6 of issue 13: 150 logins with 1 MB usernames added 128 MiB to the API process,
    and one attacker behind nginx locked every staff member out."""
    attacker, colleague = some_address(), some_address()
    staff = make_staff(engine, StaffRole.dispatcher)
    limit = settings.login_max_failures_per_address
    with serve_behind_proxy(settings) as url:
        answers = [
            token_request(url, f"{n}-{'x' * 100_000}", "guess", attacker, spoofed=some_address())
            for n in range(200)
        ]
        assert [a.status_code for a in answers] == [401] * limit + [429] * (200 - limit)
        assert token_request(url, staff.username, staff.password, attacker).status_code == 429
        assert token_request(url, staff.username, staff.password, colleague).status_code == 200
        with httpx.Client(base_url=url, headers=via_proxy(colleague), timeout=60) as browser:
            form = {"username": staff.username, "password": staff.password}
            form["csrf_token"] = csrf_of(browser.get("/console/login").text)
            assert browser.post("/console/login", data=form).status_code == 303
    with Session(engine) as session:
        rows = session.exec(
            select(RateLimitWindow).where(
                col(RateLimitWindow.channel).in_([LOGIN, LOGIN_ADDRESS]),
                col(RateLimitWindow.sender).startswith(attacker),
            )
        ).all()
    assert sorted({row.channel for row in rows}) == [LOGIN, LOGIN_ADDRESS]
    assert len(rows) == limit + 1  # one per name tried before the lock, one for the address
    # the address, or the address and the hex SHA-256 of a name: never the name itself
    assert {len(row.sender) for row in rows} == {len(attacker), len(attacker) + 1 + 64}
    assert not any("xxx" in row.sender for row in rows)


def test_the_login_throttle_holds_across_two_api_processes_on_one_database(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    """Defect 6 of issue 13: each API process counted on its own (N processes, N times the
    tries); now two `hotline api` processes share one count."""
    staff, attacker = make_staff(engine, StaffRole.operator), some_address()
    laptop = behind_proxy(developer_settings(settings, laptop_secret_key(tmp_path)[0]))
    with hotline_api(laptop, tmp_path / "a.log") as first:
        with hotline_api(laptop, tmp_path / "b.log") as second:
            for url in (first, second, first, second, first):
                assert token_request(url, staff.username, "wrong", attacker).status_code == 401
            for url in (first, second):
                locked = token_request(url, staff.username, staff.password, attacker)
                assert locked.status_code == 429, locked.text
            answer = token_request(second, staff.username, staff.password, some_address())
            assert answer.status_code == 200


def test_x_forwarded_for_counts_only_from_the_configured_proxy(
    settings: Settings, engine: Engine
) -> None:
    """Defect 6 of issue 13: a client talking to the API directly cannot pick its address."""
    staff = make_staff(engine, StaffRole.operator)
    strict = settings.model_copy(update={"login_max_failures": 2, **ONE_WINDOW})
    with serve(create_app(strict)) as url:  # trusts no proxy: the default
        answers = [token_request(url, staff.username, "wrong", some_address()) for _ in range(3)]
    assert [a.status_code for a in answers] == [401, 401, 429]


def test_the_throttle_store_keeps_only_the_current_window(engine: Engine) -> None:
    """Defect 6 of issue 13: the keys of every name ever tried stayed in memory for good."""
    clock = Clock()
    throttle = Throttle(store=DatabaseStore(engine), window_s=WINDOW_S, clock=clock)
    address = some_address()
    limits = [Limit(LOGIN, f"{address} name-{n}", 5) for n in range(50)]
    throttle.failed(*limits)
    first_window = clock.now
    assert _login_windows(engine, first_window) == 50
    clock.now += timedelta(seconds=WINDOW_S)
    throttle.failed(limits[0])
    assert _login_windows(engine, first_window) == 0  # the window that is over is gone
    assert _login_windows(engine, clock.now) == 1


WINDOW_S = 300


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2020, 1, 6, 8, 0, tzinfo=UTC)  # older than any other test's rows

    def __call__(self) -> datetime:
        return self.now


def _login_windows(engine: Engine, moment: datetime) -> int:
    """Rows of the login throttle in the window `moment` falls in."""
    seconds = int(moment.timestamp())
    with Session(engine) as session:
        rows = session.exec(
            select(RateLimitWindow).where(
                RateLimitWindow.channel == LOGIN,
                RateLimitWindow.window_start == seconds - seconds % WINDOW_S,
            )
        ).all()
    return len(rows)


@contextmanager
def hotline_api(settings: Settings, log: Path) -> Iterator[str]:
    """`hotline api` as its own process, as a deployment starts it."""
    port = free_port()
    process = start_hotline(settings.model_copy(update={"api_port": port}), "api", log=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # a start-up timeout, not an assertion on time
        while True:
            assert process.poll() is None, log.read_text()
            try:
                httpx.get(f"{url}/console/login", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        yield url
    finally:
        stop(process)
