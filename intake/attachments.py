"""Store a file for a case on disk under its SHA-256, and record it once.

Content addressing makes a re-sent photo cost nothing and lets two cases share one file; the
file is written to a temporary name and renamed, so a crash never leaves half a file behind.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import unicodedata
from pathlib import Path

from sqlmodel import Session, select

from intake.errors import IntakeRejected
from models.attachment import Attachment
from models.enums import AttachmentKind


def attachment_path(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256


def store_attachment(
    *,
    session: Session,
    root: Path,
    case_id: int,
    data: bytes,
    kind: AttachmentKind,
    content_type: str,
    filename: str = "",
    max_bytes: int,
) -> Attachment:
    if not data:
        raise IntakeRejected("attachment", "the file is empty")
    if len(data) > max_bytes:
        raise IntakeRejected(
            "attachment", f"the file has {len(data)} bytes; the limit is {max_bytes}"
        )
    digest = hashlib.sha256(data).hexdigest()
    existing = session.exec(
        select(Attachment).where(Attachment.case_id == case_id, Attachment.sha256 == digest)
    ).first()
    if existing is not None:
        return existing
    _write_once(attachment_path(root, digest), data)
    attachment = Attachment(
        case_id=case_id,
        kind=kind,
        content_type=_printable(content_type)[:120],
        filename=_printable(Path(filename).name)[:255],
        size=len(data),
        sha256=digest,
    )
    session.add(attachment)
    session.flush()
    return attachment


def _printable(text: str) -> str:
    """A sender's file name or type is only a label: drop control characters (NUL, which
    PostgreSQL cannot store) and lone surrogates (not UTF-8) rather than refuse the file."""
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cs"))


def _write_once(target: Path, data: bytes) -> None:
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
