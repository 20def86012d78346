"""Every route of the app has a guard, written down here; a new route without one fails.

The table is the access model of docs/security.md in executable form. Each guard but `public`
is also tried as a stranger would: no token, no signature, no key, and must be refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from enum import StrEnum
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.main import create_app
from core.settings import Settings


class Guard(StrEnum):
    public = "public: anyone; shows no personal data"
    public_form = "public form: CSRF token; personal data only after a one-time code"
    intake = "anonymous as web, or an integration's X-API-Key bound to one channel"
    open311_key = "Open311 api_key (stored hashed), bound to the open311 channel"
    staff = "staff bearer token or console session; role and unit checked per action"
    console = "console session cookie; role and unit checked per page"
    twilio = "X-Twilio-Signature over the public URL and form, with the account's token"
    telegram = "X-Telegram-Bot-Api-Secret-Token"
    media = "Twilio Media Stream: a start frame carrying the call's signed stream token"
    survey_link = (
        "survey link signed for one case and the contact it was sent to, expiring; "
        "the answer also needs the page's CSRF token"
    )


GUARDS: dict[str, Guard] = {
    "GET /openapi.json": Guard.public,
    "GET /docs": Guard.public,
    "GET /docs/oauth2-redirect": Guard.public,
    "GET /redoc": Guard.public,
    "GET /healthz": Guard.public,
    "GET /metrics": Guard.public,
    "POST /api/v1/requests": Guard.intake,
    "POST /twilio/sms": Guard.twilio,
    "POST /twilio/sms/status": Guard.twilio,
    "GET /open311/v2/discovery.{fmt}": Guard.public,
    "GET /open311/v2/services.{fmt}": Guard.public,
    "GET /open311/v2/services/{service_code}.{fmt}": Guard.public,
    "POST /open311/v2/requests.{fmt}": Guard.open311_key,
    "GET /open311/v2/requests.{fmt}": Guard.public,
    "GET /open311/v2/requests/{service_request_id}.{fmt}": Guard.public,
    "GET /open311/v2/tokens/{token}.{fmt}": Guard.public,
    "GET /open311/v2/servicerequestupdates.{fmt}": Guard.public,
    "POST /open311/v2/servicerequestupdates.{fmt}": Guard.open311_key,
    "POST /api/v1/auth/token": Guard.public,
    "POST /api/v1/auth/logout": Guard.staff,
    "GET /api/v1/me": Guard.staff,
    "GET /api/v1/cases": Guard.staff,
    "GET /api/v1/cases/{number}": Guard.staff,
    "POST /api/v1/cases/{number}/dispatch": Guard.staff,
    "POST /api/v1/cases/{number}/acknowledge": Guard.staff,
    "POST /api/v1/cases/{number}/return": Guard.staff,
    "POST /api/v1/cases/{number}/overrule": Guard.staff,
    "POST /api/v1/cases/{number}/respond": Guard.staff,
    "POST /api/v1/cases/{number}/extension": Guard.staff,
    "POST /api/v1/cases/{number}/extension/decision": Guard.staff,
    "POST /api/v1/cases/{number}/resolve": Guard.staff,
    "POST /api/v1/cases/{number}/answer": Guard.staff,
    "POST /api/v1/cases/{number}/merge": Guard.staff,
    "POST /api/v1/cases/{number}/supervise": Guard.staff,
    "POST /api/v1/cases/{number}/urge": Guard.staff,
    "POST /api/v1/cases/{number}/redispatch": Guard.staff,
    "POST /api/v1/cases/{number}/withdraw": Guard.staff,
    "GET /api/v1/reports/spikes": Guard.staff,
    "GET /api/v1/reports/alerts": Guard.staff,
    "GET /api/v1/reports/{kind}": Guard.staff,
    "GET /api/v1/reports/{kind}/rankings/{dimension}": Guard.staff,
    "GET /api/v1/reports/{kind}/files/{name}": Guard.staff,
    "GET /static/{name:path}": Guard.public,
    "GET /map/place": Guard.public,
    "GET /map/nearby": Guard.public,
    "GET /track/{number}/photos/{photo_id}": Guard.public_form,
    "GET /": Guard.public,
    "GET /submit": Guard.public,
    "POST /submit": Guard.public_form,
    "GET /submitted/{number}": Guard.public,
    "GET /track": Guard.public_form,
    "POST /track/{number}/code": Guard.public_form,
    "POST /track/{number}/details": Guard.public_form,
    "POST /track/{number}/withdraw": Guard.public_form,
    "GET /feed": Guard.public,
    "GET /survey/{token}": Guard.survey_link,
    "POST /survey/{token}": Guard.survey_link,
    "GET /console/login": Guard.public,
    "POST /console/login": Guard.public_form,
    "POST /console/logout": Guard.console,
    "GET /console": Guard.console,
    "GET /console/cases": Guard.console,
    "GET /console/rows": Guard.console,
    "GET /console/cases.csv": Guard.console,
    "GET /console/alerts.json": Guard.console,
    "POST /console/views": Guard.console,
    "POST /console/views/{view_id}/delete": Guard.console,
    "GET /console/cases/{number}": Guard.console,
    "GET /console/cases/{number}/attachments/{attachment_id}": Guard.console,
    "POST /console/cases/{number}/{action}": Guard.console,
    "GET /console/intake": Guard.console,
    "POST /console/intake": Guard.console,
    "GET /console/admin": Guard.console,
    "POST /console/admin/staff": Guard.console,
    "POST /console/admin/staff/{username}/active": Guard.console,
    "POST /console/admin/staff/{username}/password": Guard.console,
    "GET /console/admin/units": Guard.console,
    "GET /console/admin/units/{code}": Guard.console,
    "POST /console/admin/units/{code}": Guard.console,
    "POST /console/admin/units/{code}/delete": Guard.console,
    "GET /console/admin/catalog": Guard.console,
    "GET /console/admin/catalog/{code}": Guard.console,
    "POST /console/admin/catalog/{code}": Guard.console,
    "GET /console/admin/holidays": Guard.console,
    "POST /console/admin/holidays": Guard.console,
    "POST /console/admin/holidays/{day}/delete": Guard.console,
    "GET /console/admin/audit": Guard.console,
    "GET /console/reports": Guard.console,
    "GET /console/reports/files/{name}": Guard.console,
    "GET /console/inbox": Guard.console,
    "GET /console/transcribe": Guard.console,
    "POST /console/transcribe/{number}": Guard.console,
    "POST /telegram/webhook": Guard.telegram,
    "POST /twilio/voice": Guard.twilio,
    "POST /twilio/voice/menu": Guard.twilio,
    "POST /twilio/voice/main": Guard.twilio,
    "POST /twilio/voice/leave-message": Guard.twilio,
    "POST /twilio/voice/withdraw": Guard.twilio,
    "POST /twilio/voice/describe": Guard.twilio,
    "POST /twilio/voice/heard": Guard.twilio,
    "POST /twilio/voice/confirm": Guard.twilio,
    "POST /twilio/voice/details": Guard.twilio,
    "POST /twilio/voice/status": Guard.twilio,
    "POST /twilio/voice/recorded": Guard.twilio,
    "POST /twilio/voice/recording": Guard.twilio,
    "POST /twilio/voice/ended": Guard.twilio,
    "POST /twilio/voice/survey": Guard.twilio,
    "POST /twilio/voice/survey/heard": Guard.twilio,
    "POST /twilio/voice/survey/listen": Guard.twilio,
    "WS /twilio/media": Guard.media,
}

# A concrete value for each path parameter, so a stranger's request reaches the guard.
SAMPLES = {
    "number": "20261130-000001",
    "fmt": "json",
    "kind": "monthly",
    "dimension": "district",
    "name": "report.csv",
    "action": "dispatch",
    "service_code": "01.01.001",
    "service_request_id": "20261130-000001",
    "token": "t",
    "username": "admin",
    "code": "110105",
    "day": "2027-01-04",
    "photo_id": "1",
    "view_id": "1",
    "attachment_id": "1",
}


def _walk(routes: Iterable[Any]) -> Iterator[Any]:
    for route in routes:
        if hasattr(route, "effective_candidates"):  # an included router (FastAPI ≥ 0.16x)
            yield from _walk(
                [*route.effective_candidates(), *route.effective_low_priority_routes()]
            )
        else:
            yield route


def app_routes(app: FastAPI) -> set[str]:
    found = set()
    for route in _walk(app.router.routes):
        path = route.path or getattr(getattr(route, "original_route", None), "path", "")
        for method in sorted(getattr(route, "methods", None) or {"WS"}):
            if method != "HEAD":
                found.add(f"{method} {path}")
    return found


@pytest.fixture(scope="module")
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


def test_every_route_is_listed_with_its_guard(app: FastAPI) -> None:
    routes = app_routes(app)
    unlisted = sorted(routes - GUARDS.keys())
    assert not unlisted, f"routes without a guard in tests/security/test_routes.py: {unlisted}"
    assert sorted(GUARDS.keys() - routes) == []  # nor entries for routes that are gone


def _path(template: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: SAMPLES[m.group(1)], template)


def _guarded(guard: Guard) -> list[tuple[str, str]]:
    return [tuple(key.split(" ", 1)) for key, value in GUARDS.items() if value is guard]  # type: ignore[misc]


@pytest.mark.parametrize(("method", "template"), _guarded(Guard.staff))
def test_a_stranger_gets_401_from_every_staff_route(
    api_url: str, method: str, template: str
) -> None:
    answer = httpx.request(method, f"{api_url}{_path(template)}", json={}, timeout=60)
    assert answer.status_code == 401, answer.text


@pytest.mark.parametrize(("method", "template"), _guarded(Guard.console))
def test_a_stranger_is_sent_to_the_console_login(api_url: str, method: str, template: str) -> None:
    answer = httpx.request(
        method, f"{api_url}{_path(template)}", data={}, timeout=60, follow_redirects=False
    )
    assert answer.status_code in (303, 401, 403), answer.text
    if answer.status_code == 303:
        assert answer.headers["location"].startswith("/console/login")


@pytest.mark.parametrize(("method", "template"), _guarded(Guard.twilio))
def test_an_unsigned_twilio_webhook_is_refused(api_url: str, method: str, template: str) -> None:
    form = {"CallSid": "CA" + "0" * 32, "From": "+8613800000000", "Body": "hi"}
    answer = httpx.request(method, f"{api_url}{_path(template)}", data=form, timeout=60)
    assert answer.status_code in (403, 404), answer.text  # 404: the channel is not configured


@pytest.mark.parametrize(("method", "template"), _guarded(Guard.open311_key))
def test_an_open311_write_without_a_key_is_refused(
    api_url: str, method: str, template: str
) -> None:
    answer = httpx.request(method, f"{api_url}{_path(template)}", data={}, timeout=60)
    assert answer.status_code in (400, 403), answer.text
    assert answer.status_code == 403 or "api_key" in answer.text


@pytest.mark.parametrize(("method", "template"), _guarded(Guard.survey_link))
def test_a_survey_link_not_signed_by_us_is_refused(
    api_url: str, method: str, template: str
) -> None:
    form = {"contacted": "1", "resolved": "1", "satisfaction": "1"}
    answer = httpx.request(method, f"{api_url}{_path(template)}", data=form, timeout=60)
    assert answer.status_code == 404, answer.text
    assert 'id="survey-problem"' in answer.text
