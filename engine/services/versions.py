"""Process versions: checking process files, deploying them, and what a version holds."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from engine.db.models import ProcessVersion
from engine.forms import FormDefinition
from engine.runtime import (
    UnitOfWork,
    VersionView,
    form_names,
    form_of,
    latest_version,
    load_complaint,
    read_deployment_files,
    store_version,
    validate_files,
    validate_paths,
    version_view,
)


def deploy_version(files: Mapping[str, str], actor: str, uow: UnitOfWork) -> VersionView:
    """Validate and store a set of process files; nothing new when the content is unchanged."""
    with uow:
        version, created = store_version(uow, files, actor)
        if created:
            uow.commit()
        return version_view(version, created=created)


def list_versions(uow: UnitOfWork) -> list[VersionView]:
    with uow:
        rows = uow.session.scalars(select(ProcessVersion).order_by(ProcessVersion.number))
        return [version_view(v, created=False) for v in rows]


def form_definitions(uow: UnitOfWork, reference: str | None = None) -> dict[str, FormDefinition]:
    """The forms deployed with complaint ``reference``'s version (else the newest), by name.

    Screens take field labels and choice labels (category, channel, remedy…) from them.
    """
    with uow:
        if reference is not None:
            version = load_complaint(uow, reference).process_version
        else:
            newest = latest_version(uow)
            if newest is None:
                return {}
            version = newest
        return {name: form_of(version, name) for name in form_names(version)}


__all__ = [
    "deploy_version",
    "form_definitions",
    "list_versions",
    "read_deployment_files",
    "validate_files",
    "validate_paths",
]
