"""Attachments are stored once under their content hash, and bad files are refused cleanly."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from core.db import session_scope
from core.settings import Settings
from intake.attachments import attachment_path, store_attachment
from intake.errors import IntakeRejected
from intake.service import accept_intake
from models import Attachment
from models.enums import AttachmentKind
from tests.utils.factories import make_intake

PHOTO = b"\xff\xd8\xff\xe0" + b"JFIF-test-photo" * 100


def _store(engine: Engine, settings: Settings, case_id: int, data: bytes, limit: int) -> Attachment:
    with session_scope(engine) as session:
        return store_attachment(
            session=session,
            root=settings.attachments_path,
            case_id=case_id,
            data=data,
            kind=AttachmentKind.photo,
            content_type="image/jpeg",
            filename="../../etc/路灯.jpg",
            max_bytes=limit,
        )


def _attachment_count(engine: Engine, case_id: int) -> int:
    with Session(engine) as session:
        query = select(func.count()).select_from(Attachment).where(Attachment.case_id == case_id)
        return session.exec(query).one()


def test_a_file_is_stored_once_under_its_hash(engine: Engine, settings: Settings) -> None:
    case = accept_intake(engine=engine, intake=make_intake(), settings=settings).case
    assert case.id is not None
    first = _store(engine, settings, case.id, PHOTO, limit=10_000)
    again = _store(engine, settings, case.id, PHOTO, limit=10_000)
    digest = hashlib.sha256(PHOTO).hexdigest()
    assert (first.id, first.sha256, first.size) == (again.id, digest, len(PHOTO))
    assert first.filename == "路灯.jpg"  # no directories from the sender's name
    stored = attachment_path(settings.attachments_path, digest)
    assert stored.read_bytes() == PHOTO
    assert _attachment_count(engine, case.id) == 1
    assert not list(Path(stored.parent).glob(".incoming-*"))


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"", "the file is empty"), (PHOTO, f"the file has {len(PHOTO)} bytes; the limit is 100")],
)
def test_empty_or_oversized_files_are_refused_with_nothing_written(
    engine: Engine, settings: Settings, data: bytes, message: str
) -> None:
    case = accept_intake(engine=engine, intake=make_intake(), settings=settings).case
    assert case.id is not None
    with pytest.raises(IntakeRejected) as refused:
        _store(engine, settings, case.id, data, limit=100)
    assert refused.value.message == message
    assert _attachment_count(engine, case.id) == 0
