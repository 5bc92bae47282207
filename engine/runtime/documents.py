"""Documents joined to complaints: checked by content, stored once per SHA-256 outside the database.

The bytes live under ``<instance folder>/attachments/ab/cdef…`` (content-addressed, so the same
file sent twice is stored once); the ``attachment`` table holds who sent what under which safe
name. A file sent with a form is first **received** (:func:`receive`: checked and staged in a
temporary file, no row yet), then **attached** in the unit of work that saves the form
(:func:`attach`): its row is written with the form, and the staged bytes move into the store
only once that transaction commits — a refused or failed action leaves neither a row nor a
file. :func:`bind` joins documents to their complaint in the same transaction; a document
uploaded ahead of its form (an API client's two steps) has a row without complaint until then.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import unicodedata
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import filetype
from sqlalchemy import select

from engine import clock
from engine.config import Settings
from engine.db.models import Attachment, Instance
from engine.errors import InvalidInput
from engine.runtime.unit_of_work import UnitOfWork

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


@dataclass(frozen=True)
class ReceivedDocument:
    """A file checked and staged, not saved yet: :func:`attach` saves it with an action."""

    id: str  # its id from now on: forms name it before it is saved
    filename: str  # the safe name it will be offered under
    content_type: str
    size: int
    sha256: str
    staged: Path  # the temporary file holding its bytes until the action commits


def receive(stream: BinaryIO, filename: str, settings: Settings) -> ReceivedDocument:
    """Check one uploaded file and stage its bytes; nothing is saved yet.

    Raises InvalidInput (with a ``file`` error and a ``code``: too_large, empty, type) when
    the file is empty, too large, or of a type that is not allowed — judged by its content,
    whatever its name says. Call :func:`discard` if the file will not be attached after all.
    """
    limit = settings.max_upload_bytes
    folder = _root(settings)
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with tempfile.NamedTemporaryFile(dir=folder, prefix="received-", delete=False) as temporary:
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
    return ReceivedDocument(
        id=str(uuid.uuid4()),
        filename=safe_filename(filename, content_type),
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
        staged=Path(temporary.name),
    )


def discard(documents: Iterable[ReceivedDocument]) -> None:
    """Remove the staged bytes of documents that were not kept (a no-op for kept ones)."""
    for document in documents:
        document.staged.unlink(missing_ok=True)


def attach(
    uow: UnitOfWork, document: ReceivedDocument, source: str, uploaded_by: str
) -> AttachmentView:
    """Save a received document in the unit of work: its row now, not yet joined to a
    complaint (:func:`bind` joins it); its bytes move into the store once the unit of work
    commits, and are removed if it does not."""
    row = Attachment(
        id=document.id,
        instance_id=None,
        sha256=document.sha256,
        filename=document.filename,
        content_type=document.content_type,
        size=document.size,
        source=source,
        uploaded_by=uploaded_by,
        uploaded_at=clock.now(),
    )
    uow.session.add(row)
    target = _path(uow.settings, document.sha256)

    def keep() -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(document.staged, target)  # same content, same name: replacing is harmless

    uow.after_commit(keep)
    uow.on_rollback(lambda: discard([document]))
    return attachment_view(row)


def bind(uow: UnitOfWork, instance: Instance, attachment_ids: Iterable[str]) -> None:
    """Join documents to ``instance`` in the unit of work.

    An id that is unknown, or already joined to another complaint, is refused: a form cannot
    reach someone else's document by naming it.
    """
    ids = list(dict.fromkeys(attachment_ids))
    if not ids:
        return
    session = uow.session
    session.flush()  # documents attached in this unit of work are found too
    rows = {a.id: a for a in session.scalars(select(Attachment).where(Attachment.id.in_(ids)))}
    for attachment_id in ids:
        row = rows.get(attachment_id)
        if row is None or row.instance_id not in (None, instance.id):
            raise InvalidInput(
                "a document is not available", {"file": [f"unknown document {attachment_id}"]}
            )
        row.instance_id = instance.id


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


def attachment_view(row: Attachment) -> AttachmentView:
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
