"""Staff authentication for the API: bearer tokens from `POST /api/v1/auth/token`.

A token is signed with the secret key, names the user and their token version, and expires
after `HOTLINE_API_TOKEN_HOURS`; the user row is read on every request, so the tokens of a
user who logged out (`POST /api/v1/auth/logout`), got a new password or was deactivated stop
working at once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.deps import EngineDep, SettingsDep
from auth.tokens import TokenOwner, read_api_token
from auth.users import authenticate, get_active_staff_user
from models.staff import StaffUser

bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def current_staff(
    engine: EngineDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(bearer)],
) -> StaffUser:
    if not token:
        raise _unauthorized("log in: this needs a staff bearer token (POST /api/v1/auth/token)")
    owner = read_api_token(settings.secret_key, token, max_age_s=settings.api_token_hours * 3600)
    user = load_active_user(engine, owner) if owner else None
    if user is None:
        raise _unauthorized("the token is invalid or has expired: log in again")
    return user


def load_active_user(engine: Engine, owner: TokenOwner) -> StaffUser | None:
    """The active user a token names, while the token's version is still theirs. Read in a
    session of its own, closed at once: a request that then waits on a workflow must not hold
    a database transaction (SQLite's write lock) while it waits."""
    with Session(engine) as session:
        user = get_active_staff_user(session=session, username=owner.username)
    return user if user is not None and user.token_version == owner.version else None


def check_password(engine: Engine, username: str, password: str) -> StaffUser | None:
    """`authenticate` in a session of its own, closed before the throttle counts the try (on
    SQLite an open transaction holds the write lock the throttle's store needs)."""
    with Session(engine, expire_on_commit=False) as session:
        return authenticate(session=session, username=username, password=password)


def client_address(request: Request) -> str:
    """The client's address: the peer's, or what a trusted proxy (HOTLINE_TRUSTED_PROXIES)
    put in X-Forwarded-For; uvicorn decides which (`forwarded_allow_ips`)."""
    return request.client.host if request.client else "unknown"


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


CurrentStaff = Annotated[StaffUser, Depends(current_staff)]
