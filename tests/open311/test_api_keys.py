"""API keys: hashed at rest, shown once, revocable, per client; and `hotline apikey`."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.settings import Settings
from models.api_key import (
    ApiKey,
    ApiKeyError,
    authenticate,
    create_api_key,
    list_api_keys,
    revoke_api_keys,
)
from tests.utils.factories import unique_key
from tests.utils.processes import ROOT, hotline_env


def _row(engine: Engine, prefix: str) -> ApiKey:
    with Session(engine) as session:
        row = session.exec(select(ApiKey).where(ApiKey.prefix == prefix)).one()
    return row


def test_only_the_hash_of_a_key_is_stored(engine: Engine) -> None:
    issued = create_api_key(engine=engine, name=f"client-{unique_key()}")
    row = _row(engine, issued.key.prefix)
    assert row.key_hash == hashlib.sha256(issued.secret.encode()).hexdigest()
    assert issued.secret.startswith(row.prefix) and len(issued.secret) > 40
    assert issued.secret not in str(row.model_dump().values())


def test_a_key_authenticates_its_client_and_notes_its_use(engine: Engine) -> None:
    name = f"client-{unique_key()}"
    issued = create_api_key(engine=engine, name=name)
    client = authenticate(engine=engine, secret=issued.secret)
    assert client is not None and client.name == name
    assert _row(engine, issued.key.prefix).last_used_at is not None
    assert authenticate(engine=engine, secret=issued.secret + "x") is None
    assert authenticate(engine=engine, secret="") is None


def test_revoking_by_name_ends_every_key_of_that_client(engine: Engine) -> None:
    name = f"client-{unique_key()}"
    first, second = (create_api_key(engine=engine, name=name) for _ in range(2))
    assert revoke_api_keys(engine=engine, name_or_prefix=name) == 2
    assert authenticate(engine=engine, secret=first.secret) is None
    assert authenticate(engine=engine, secret=second.secret) is None
    with pytest.raises(ApiKeyError, match=f"no active key named or prefixed '{name}'"):
        revoke_api_keys(engine=engine, name_or_prefix=name)


def test_revoking_by_prefix_ends_only_that_key(engine: Engine) -> None:
    name = f"client-{unique_key()}"
    old, new = (create_api_key(engine=engine, name=name) for _ in range(2))
    assert revoke_api_keys(engine=engine, name_or_prefix=old.key.prefix) == 1
    assert authenticate(engine=engine, secret=old.secret) is None
    assert authenticate(engine=engine, secret=new.secret) is not None
    with Session(engine) as session:
        active = [key.prefix for key in list_api_keys(session=session, include_revoked=False)]
    assert new.key.prefix in active and old.key.prefix not in active


@pytest.mark.parametrize("name", ["", "   ", "x" * 121])
def test_a_key_needs_a_client_name(engine: Engine, name: str) -> None:
    with pytest.raises(ApiKeyError, match="a key needs a client name of 1 to 120 characters"):
        create_api_key(engine=engine, name=name)


def _hotline(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "cli.main", "apikey", *args],
        cwd=ROOT,
        env=hotline_env(settings) | {"COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_hotline_apikey_create_list_revoke(settings: Settings, engine: Engine) -> None:
    name = f"app-{unique_key()[:8]}"
    created = _hotline(settings, "create", name)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip().splitlines()[-1]
    client = authenticate(engine=engine, secret=secret)
    assert client is not None and client.name == name

    listed = _hotline(settings, "list")
    assert listed.returncode == 0, listed.stderr
    assert name in listed.stdout and client.prefix in listed.stdout
    assert secret not in listed.stdout

    revoked = _hotline(settings, "revoke", name)
    assert (revoked.returncode, revoked.stdout.strip()) == (0, "1 key(s) revoked")
    assert authenticate(engine=engine, secret=secret) is None
    again = _hotline(settings, "revoke", name)
    assert again.returncode == 1
    assert f"no active key named or prefixed '{name}'" in again.stdout


def test_hotline_apikey_create_refuses_an_empty_name(settings: Settings) -> None:
    refused = _hotline(settings, "create", " ")
    assert refused.returncode == 1
    assert "a key needs a client name of 1 to 120 characters" in refused.stdout
