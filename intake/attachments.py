"""Store a file for a case on disk under its SHA-256, and record it once.

Content addressing makes a re-sent photo cost nothing and lets two cases share one file; the
file is copied in chunks to a temporary name (at most the cap, never whole in memory) and
renamed, so a crash never leaves half a file behind.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import unicodedata
from pathlib import Path
from typing import BinaryIO

from sqlmodel import Session, select

from core.i18n import N_
from intake.errors import IntakeRejected
from models.attachment import Attachment
from models.enums import AttachmentKind

CHUNK = 1024 * 1024


def attachment_path(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256


def store_attachment(
    *,
    session: Session,
    root: Path,
    case_id: int,
    data: bytes | BinaryIO,
    kind: AttachmentKind,
    content_type: str,
    filename: str = "",
    max_bytes: int,
) -> Attachment:
    """Store `data` (bytes, or a file read in chunks, never whole) of at most `max_bytes`."""
    if isinstance(data, bytes) and len(data) > max_bytes:
        raise IntakeRejected(
            "attachment",
            N_("the file has {size} bytes; the limit is {limit}"),
            size=len(data),
            limit=max_bytes,
        )
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    incoming, digest, size = _receive(root, source, max_bytes)
    try:
        existing = session.exec(
            select(Attachment).where(Attachment.case_id == case_id, Attachment.sha256 == digest)
        ).first()
        if existing is not None:
            return existing
        _move_once(incoming, attachment_path(root, digest))
    finally:
        incoming.unlink(missing_ok=True)
    attachment = Attachment(
        case_id=case_id,
        kind=kind,
        content_type=_printable(content_type)[:120],
        filename=_printable(Path(filename).name)[:255],
        size=size,
        sha256=digest,
    )
    session.add(attachment)
    session.flush()
    return attachment


def _receive(root: Path, source: BinaryIO, max_bytes: int) -> tuple[Path, str, int]:
    """Copy `source` to a temporary file under `root` chunk by chunk, hashing as it goes;
    refuse (and leave nothing behind) once it passes `max_bytes`."""
    root.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=root, prefix=".incoming-")
    path = Path(temporary)
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := source.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise IntakeRejected(
                        "attachment",
                        N_("the file is larger than the limit of {limit} bytes"),
                        limit=max_bytes,
                    )
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if not size:
            raise IntakeRejected("attachment", N_("the file is empty"))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, digest.hexdigest(), size


def _printable(text: str) -> str:
    """A sender's file name or type is only a label: drop control characters (NUL, which
    PostgreSQL cannot store) and lone surrogates (not UTF-8) rather than refuse the file."""
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cs"))


def _move_once(incoming: Path, target: Path) -> None:
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(incoming, target)
