"""Rendering a page: the Jinja2 environment, the page's language and its CSRF secret.

Every form carries a hidden `csrf_token`. Forms shown to a logged-in user use the secret
inside their session cookie; forms shown before login (the login form, the public intake
form) use a secret in a signed cookie of their own (double submit), so a site that cannot
read our cookies cannot post a form in a visitor's name.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.datastructures import URL

from auth.tokens import TokenKind, same_secret, sign, unsign
from core.i18n import LOCALES, Domain, language_name, locale_of
from core.settings import Settings
from models.enums import Language
from web.i18n import LANG_COOKIE, request_language, translator

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")
FORM_COOKIE = "hotline_form"
FORM_MAX_AGE_S = 12 * 3600


@dataclass(frozen=True)
class LanguageLink:
    code: str
    name: str  # in the language itself: "中文", "English"
    href: str


def secure_cookies(settings: Settings) -> bool:
    return settings.public_base_url.startswith("https://")


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    csrf: str | None = None,
) -> HTMLResponse:
    """Render `template` in the request's language; `csrf` is the session's secret, if any.

    Without a session a fresh anonymous form secret is issued (and set as a cookie) unless the
    visitor already has a valid one.
    """
    settings: Settings = request.app.state.settings
    language = request_language(request)
    anonymous = None
    if csrf is None:
        anonymous = _anonymous_secret(request, settings) or secrets.token_urlsafe(24)
    # The console speaks to staff; every other page to citizens.
    domain = Domain.staff if template.startswith("console/") else Domain.citizen
    values = {
        "request": request,
        "lang": language.value,
        "html_lang": locale_of(language).replace("_", "-"),
        "language_links": language_links(request, language, context.get("page_url")),
        "csrf_token": csrf or anonymous,
        **translator(language, domain),
        **context,
    }
    response = templates.TemplateResponse(request, template, values, status_code=status_code)
    response.headers["X-Frame-Options"] = "DENY"  # no clickjacking of forms
    response.headers["Referrer-Policy"] = "same-origin"  # case numbers stay on our pages
    if csrf is not None:
        response.headers["Cache-Control"] = "no-store"  # staff pages hold personal data
    if request.query_params.get("lang") == language.value:
        response.set_cookie(LANG_COOKIE, language.value, max_age=365 * 86400, samesite="lax")
    if anonymous is not None:
        response.set_cookie(
            FORM_COOKIE,
            sign(settings.secret_key, TokenKind.form, {"s": anonymous}),
            max_age=FORM_MAX_AGE_S,
            httponly=True,
            samesite="lax",
            secure=secure_cookies(settings),
        )
    return response


def language_links(
    request: Request, current: Language, page_url: str | None = None
) -> list[LanguageLink]:
    """This page in each other language: its query parameters kept (a `/track?number=...`
    stays on its case, `/feed` keeps its filters), only `lang` changed. A page answering a
    form's POST names the page to show instead (`page_url`): its own URL takes no GET."""
    links = []
    for language in LOCALES:
        if language is not current:
            if page_url is not None:
                url = URL(page_url).include_query_params(lang=language.value)
                href = f"{url.path}?{url.query}"
            else:
                href = f"?{request.url.include_query_params(lang=language.value).query}"
            links.append(LanguageLink(language.value, language_name(language), href))
    return links


def anonymous_form_ok(request: Request, given: str | None) -> bool:
    """The posted token matches the visitor's signed form cookie."""
    expected = _anonymous_secret(request, request.app.state.settings)
    return expected is not None and same_secret(expected, given)


def _anonymous_secret(request: Request, settings: Settings) -> str | None:
    cookie = request.cookies.get(FORM_COOKIE)
    if not cookie:
        return None
    data = unsign(settings.secret_key, TokenKind.form, cookie, max_age_s=FORM_MAX_AGE_S)
    return data.get("s") if data else None
