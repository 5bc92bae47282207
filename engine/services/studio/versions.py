"""Deployed versions as the studio shows them: what changed from one set of files to another,
the files of a version with what changed since the one before, and exports laid out like the
repository."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from engine.db.models import ProcessVersion
from engine.runtime import (
    FORMS_PREFIX,
    UnitOfWork,
    version_numbered,
)
from engine.services.studio.changes import FileChange, form_changes, message_changes, policy_changes
from engine.services.studio.files import file_kind, file_order
from engine.services.studio.xml_changes import decision_changes, diagram_changes


def diff_files(old: Mapping[str, str], new: Mapping[str, str]) -> list[FileChange]:
    """What changed from one set of process files to another, file by file, element by element."""
    changes = []
    for name in sorted(old.keys() | new.keys(), key=file_order):
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        kind = file_kind(name)
        elements, layout = _ELEMENT_DIFFS[kind](before, after)
        change = "added" if before is None else "removed" if after is None else "changed"
        changes.append(FileChange(name, kind, change, tuple(elements), layout))
    return changes


_ELEMENT_DIFFS: dict[str, Callable[[str | None, str | None], tuple[list, bool]]] = {
    "diagram": diagram_changes,
    "decision": decision_changes,
    "form": form_changes,
    "policy": policy_changes,
    "message": message_changes,
}


@dataclass(frozen=True)
class VersionFiles:
    number: int
    content_hash: str
    deployed_by: str
    deployed_at: datetime
    files: dict[str, str]
    changes: list[FileChange]  # since the version before it (none for the first)


def version_files(number: int, uow: UnitOfWork) -> VersionFiles:
    with uow:
        session = uow.session
        version = version_numbered(uow, number)
        previous = session.scalar(
            select(ProcessVersion)
            .where(ProcessVersion.number < number)
            .order_by(ProcessVersion.number.desc())
            .limit(1)
        )
        files = dict(version.files)
        return VersionFiles(
            version.number,
            version.content_hash,
            version.deployed_by,
            version.deployed_at,
            files,
            diff_files(previous.files, files) if previous else [],
        )


def deployed_files(number: int, uow: UnitOfWork) -> dict[str, str]:
    """The files of deployed version ``number``, by name."""
    with uow:
        return dict(version_numbered(uow, number).files)


def archive_path(name: str) -> str:
    """Where a file goes in an export, laid out like the repository: processes/ (with its
    messages/ folder) and forms/."""
    return name if name.startswith(FORMS_PREFIX) else f"processes/{name}"


def version_archive(number: int, uow: UnitOfWork) -> tuple[str, bytes]:
    """``doleance-v<N>.zip``: the version's files under processes/ and forms/, ready for git.

    The archive is the same byte for byte each time (entries dated from the deployment).
    """
    with uow:
        version = version_numbered(uow, number)
        files, stamp = dict(version.files), version.deployed_at.timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            entry = zipfile.ZipInfo(archive_path(name), date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, files[name].encode("utf-8"))
    return f"doleance-v{number}.zip", buffer.getvalue()
