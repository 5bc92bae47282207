"""Documents: a file uploaded ahead of the form that names it, and the documents of a complaint.

Files sent *with* a form are saved by that form's own action (``complete_task``,
``register_complaint``: see :mod:`engine.runtime.documents`).
"""

from __future__ import annotations

from typing import BinaryIO

from sqlalchemy import select

from engine.db.models import Attachment, Instance
from engine.errors import NotFound
from engine.runtime import UnitOfWork
from engine.runtime.documents import (
    ALLOWED_TYPES,
    AttachmentView,
    ReceivedDocument,
    attach,
    attachment_view,
    discard,
    path_of,
    receive,
)


def store(
    stream: BinaryIO, filename: str, source: str, uploaded_by: str, uow: UnitOfWork
) -> AttachmentView:
    """Check and keep one file that a form will name later (by the returned view's ``id``).

    Raises InvalidInput (with a ``file`` error) when the file is empty, too large, or of a
    type that is not allowed — judged by its content, whatever its name says.
    """
    received = receive(stream, filename, uow.settings)
    try:
        with uow:
            view = attach(uow, received, source, uploaded_by)
            uow.commit()
            return view
    finally:
        discard([received])  # kept files moved into the store; this only cleans a failure


def list_for(reference: str, uow: UnitOfWork) -> list[AttachmentView]:
    """The documents of complaint ``reference``, oldest first."""
    with uow:
        rows = uow.session.scalars(
            select(Attachment)
            .join(Instance, Instance.id == Attachment.instance_id)
            .where(Instance.reference == reference)
            .order_by(Attachment.uploaded_at, Attachment.filename)
        )
        return [attachment_view(row) for row in rows]


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
        return attachment_view(row)


__all__ = [
    "ALLOWED_TYPES",
    "AttachmentView",
    "ReceivedDocument",
    "discard",
    "get",
    "list_for",
    "path_of",
    "receive",
    "store",
]
