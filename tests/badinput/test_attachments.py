"""Uploaded files: oversized, empty and malformed ones are refused or stored intact, never half.

No upload endpoint exists yet (the channels bring photos and recordings); this drives the
one function they all call, `store_attachment`, with arbitrary bytes, names and types.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from core.db import session_scope
from core.settings import Settings
from intake.attachments import attachment_path, store_attachment
from intake.errors import IntakeRejected
from intake.service import accept_intake
from models.enums import AttachmentKind
from tests.badinput.registry import row_counts
from tests.utils.factories import make_intake

LIMIT = 4096
MALFORMED = {
    "truncated jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF",
    "png header only": b"\x89PNG\r\n\x1a\n",
    "wav with a lying header": b"RIFF\xff\xff\xff\xffWAVEfmt " + b"\x00" * 8,
    "not audio at all": b"<html>hello</html>",
}


@pytest.fixture(scope="module")
def case_id(engine: Engine, settings: Settings) -> int:
    case = accept_intake(engine=engine, intake=make_intake(), settings=settings).case
    assert case.id is not None
    return case.id


def store(
    engine: Engine, root: Path, case_id: int, data: bytes, name: str, kind: AttachmentKind
) -> str:
    with session_scope(engine) as session:
        return store_attachment(
            session=session,
            root=root,
            case_id=case_id,
            data=data,
            kind=kind,
            content_type="application/octet-stream",
            filename=name,
            max_bytes=LIMIT,
        ).sha256


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("files")


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.binary(max_size=LIMIT + 64),
    name=st.text(max_size=300) | st.sampled_from(["\x00", "a\x00.jpg", "\ud800.wav", "../../x"]),
    kind=st.sampled_from(list(AttachmentKind)),
)
def test_any_file_is_stored_intact_or_refused_without_a_trace(
    data: bytes,
    name: str,
    kind: AttachmentKind,
    engine: Engine,
    files: Path,
    case_id: int,
) -> None:
    root = files
    before = row_counts(engine)
    try:
        digest = store(engine, root, case_id, data, name, kind)
    except IntakeRejected as exc:
        assert exc.field == "attachment"
        assert len(data) == 0 or len(data) > LIMIT
        assert row_counts(engine) == before
        assert not attachment_path(root, hashlib.sha256(data).hexdigest()).exists()
        assert not list(root.rglob(".incoming-*")), "a refused file left bytes"
        return
    assert 0 < len(data) <= LIMIT
    assert digest == hashlib.sha256(data).hexdigest()
    assert attachment_path(root, digest).read_bytes() == data
    assert not list(root.rglob(".incoming-*"))


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_media_are_kept_as_opaque_bytes(
    name: str, engine: Engine, tmp_path: Path, case_id: int
) -> None:
    """Nothing decodes a file at intake, so a broken photo cannot crash it; decoding (speech
    recognition, thumbnails) happens later, in activities that can refuse it on their own."""
    digest = store(engine, tmp_path, case_id, MALFORMED[name], name, AttachmentKind.photo)
    assert attachment_path(tmp_path, digest).read_bytes() == MALFORMED[name]


def test_an_oversized_recording_is_refused_before_anything_is_written(
    engine: Engine, tmp_path: Path, case_id: int
) -> None:
    before = row_counts(engine)
    with pytest.raises(IntakeRejected, match=f"the limit is {LIMIT}"):
        store(
            engine, tmp_path, case_id, b"RIFF" + b"\x00" * LIMIT, "call.wav", AttachmentKind.photo
        )
    assert row_counts(engine) == before
    assert not list(tmp_path.rglob("*"))
