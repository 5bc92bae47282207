"""Documents joined to complaints: checked by content, stored once per SHA-256 outside the database.

The bytes live under ``<instance folder>/attachments/ab/cdef…`` (content-addressed, so the same
file sent twice is stored once); the ``attachment`` table holds who sent what under which safe
name. An upload is written before its form is saved and has no complaint yet
(``instance_id`` is None); :func:`bind` joins it to the complaint in the transaction that saves
the form, so an abandoned form leaves an orphan row that nobody can reach, never a half-saved one.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import filetype
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine.config import Settings
from engine.db.models import Attachment, Instance
from engine.db.session import UnitOfWork
from engine.errors import InvalidInput, NotFound

#: What customers and agents may send, by the type detected from the first bytes.
ALLOWED_TYPES = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "text/plain": ".txt",
}
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class AttachmentView:
    id: str
    filename: str
    content_type: str
    size: int
    source: str
    uploaded_by: str
    uploaded_at: datetime
    sha256: str


def store(
    stream: BinaryIO,
    filename: str,
    source: str,
    uploaded_by: str,
    uow: UnitOfWork,
) -> AttachmentView:
    """Check and keep one uploaded file; returns its view (its ``id`` goes into the form data).

    Raises InvalidInput (with a ``file`` error) when the file is empty, too large, or of a type
    that is not allowed — judged by its content, whatever its name says.
    """
    settings = uow.settings
    limit = settings.max_upload_bytes
    folder = _root(settings)
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with tempfile.NamedTemporaryFile(dir=folder, delete=False) as temporary:
        try:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise _refused(
                        "too_large", f"the file is larger than {limit // (1024 * 1024)} MB"
                    )
                digest.update(chunk)
                temporary.write(chunk)
            temporary.flush()
            if size == 0:
                raise _refused("empty", "the file is empty")
            content_type = detect_type(Path(temporary.name))
            if content_type not in ALLOWED_TYPES:
                raise _refused(
                    "type", "this kind of file is not accepted (PDF, images, office documents)"
                )
        except BaseException:
            os.unlink(temporary.name)
            raise
    sha256 = digest.hexdigest()
    target = _path(settings, sha256)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(temporary.name, target)  # same content, same name: replacing is harmless
    with uow:
        row = Attachment(
            id=str(uuid.uuid4()),
            instance_id=None,
            sha256=sha256,
            filename=safe_filename(filename, content_type),
            content_type=content_type,
            size=size,
            source=source,
            uploaded_by=uploaded_by,
            uploaded_at=clock.now(),
        )
        uow.session.add(row)
        uow.commit()
        return _view(row)


def bind(session: Session, instance: Instance, attachment_ids: Iterable[str]) -> None:
    """Join uploads to ``instance`` inside the caller's transaction.

    An id that is unknown, or already joined to another complaint, is refused: a form cannot
    reach someone else's document by naming it.
    """
    ids = list(dict.fromkeys(attachment_ids))
    if not ids:
        return
    rows = {a.id: a for a in session.scalars(select(Attachment).where(Attachment.id.in_(ids)))}
    for attachment_id in ids:
        row = rows.get(attachment_id)
        if row is None or row.instance_id not in (None, instance.id):
            raise InvalidInput(
                "a document is not available", {"file": [f"unknown document {attachment_id}"]}
            )
        row.instance_id = instance.id


def list_for(reference: str, uow: UnitOfWork) -> list[AttachmentView]:
    with uow:
        rows = uow.session.scalars(
            select(Attachment)
            .join(Instance, Instance.id == Attachment.instance_id)
            .where(Instance.reference == reference)
            .order_by(Attachment.uploaded_at, Attachment.filename)
        )
        return [_view(row) for row in rows]


def get(attachment_id: str, reference: str, uow: UnitOfWork) -> AttachmentView:
    """The document ``attachment_id`` of complaint ``reference`` (NotFound otherwise)."""
    with uow:
        row = uow.session.scalar(
            select(Attachment)
            .join(Instance, Instance.id == Attachment.instance_id)
            .where(Attachment.id == attachment_id, Instance.reference == reference)
        )
        if row is None:
            raise NotFound(f"no document {attachment_id} on complaint {reference}")
        return _view(row)


def path_of(view: AttachmentView, settings: Settings) -> Path:
    """Where the bytes of ``view`` are on disk."""
    return _path(settings, view.sha256)


def detect_type(path: Path) -> str:
    """The media type the content shows (magic numbers), ``text/plain`` for clean UTF-8 text."""
    kind = filetype.guess(str(path))
    if kind is not None:
        return _office_type(path, kind.mime)
    with path.open("rb") as handle:
        head = handle.read(64 * 1024)
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # a multibyte character cut at the end of the sample is fine
            return "application/octet-stream"
        text = head[: exc.start].decode("utf-8")
    if any(ord(c) < 32 and c not in "\t\r\n\f" for c in text):
        return "application/octet-stream"
    return "text/plain"


def safe_filename(filename: str, content_type: str) -> str:
    """A name safe to show and to offer as a download, with the extension of the real type."""
    name = unicodedata.normalize("NFC", Path(filename.replace("\\", "/")).name)
    stem = "".join(c for c in Path(name).stem if c.isalnum() or c in " ._-()")
    stem = " ".join(stem.split()).strip(" .")[:120] or "document"
    return stem + ALLOWED_TYPES.get(content_type, ".bin")


def _office_type(path: Path, mime: str) -> str:
    """filetype reports ODF and OOXML documents as zip files or by their own type; keep theirs."""
    if mime != "application/zip":
        return mime
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                return archive.read("mimetype").decode("ascii", "replace").strip()
            if "word/document.xml" in names:
                return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            if "xl/workbook.xml" in names:
                return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    except zipfile.BadZipFile:
        pass
    return mime


def _root(settings: Settings) -> Path:
    return settings.instance_dir / "attachments"


def _path(settings: Settings, sha256: str) -> Path:
    return _root(settings) / sha256[:2] / sha256[2:]


def _refused(code: str, message: str) -> InvalidInput:
    return InvalidInput(message, {"file": [message]}, code=code)


def _view(row: Attachment) -> AttachmentView:
    return AttachmentView(
        row.id,
        row.filename,
        row.content_type,
        row.size,
        row.source,
        row.uploaded_by,
        row.uploaded_at,
        row.sha256,
    )
