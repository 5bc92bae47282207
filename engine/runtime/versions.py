"""Deployed versions and what each one holds: its restored specs, policy, forms and templates.

A version never changes once deployed, so what is read from it is cached by its content hash
and shared by every complaint and every thread.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from sqlalchemy import func, select

from engine import clock
from engine.bpmn.workflow import ProcessLibrary, library_for
from engine.db.models import ProcessVersion
from engine.errors import DeploymentError, NotFound
from engine.forms import FormDefinition, parse_form_definition
from engine.rules.policy import DEFAULT_POLICY, POLICY_FILE, Policy, parse_policy
from engine.runtime.deployment import FORMS_PREFIX, check_deployment
from engine.runtime.unit_of_work import UnitOfWork


def content_hash(files: Mapping[str, str]) -> str:
    """The SHA-256 that names a set of process files (the same files, the same version)."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name].encode()).digest())
    return digest.hexdigest()


def store_version(
    uow: UnitOfWork, files: Mapping[str, str], actor: str
) -> tuple[ProcessVersion, bool]:
    """Validate and add a version in the unit of work: (version, created).

    Files identical to a deployed version give that version back, with ``created`` false;
    files with problems raise DeploymentError listing each one.
    """
    session = uow.session
    digest = content_hash(files)
    existing = session.scalar(select(ProcessVersion).where(ProcessVersion.content_hash == digest))
    if existing is not None:
        return existing, False
    parsed, problems = check_deployment(files)
    if problems or parsed is None:
        raise DeploymentError(f"{len(problems)} problem(s) in the process files", problems)
    number = (session.scalar(select(func.max(ProcessVersion.number))) or 0) + 1
    version = ProcessVersion(
        number=number,
        content_hash=digest,
        files=dict(files),
        specs=parsed.specs,
        process_ids=parsed.process_ids,
        flows=parsed.flows,
        deployed_by=actor,
        deployed_at=clock.now(),
    )
    session.add(version)
    uow.record(
        None,
        "process_deployed",
        actor,
        data={
            "version": number,
            "content_hash": digest,
            "files": sorted(files),
            "processes": parsed.process_ids,
        },
    )
    return version, True


def latest_version(uow: UnitOfWork) -> ProcessVersion | None:
    """The newest deployed version, None before the first deployment."""
    return uow.session.scalar(
        select(ProcessVersion).order_by(ProcessVersion.number.desc()).limit(1)
    )


def require_latest_version(uow: UnitOfWork) -> ProcessVersion:
    """The newest deployed version; NotFound (with what to run) before the first one."""
    latest = latest_version(uow)
    if latest is None:
        raise NotFound("no process version is deployed yet; run 'doleance init' first")
    return latest


def version_numbered(uow: UnitOfWork, number: int) -> ProcessVersion:
    version = uow.session.scalar(select(ProcessVersion).where(ProcessVersion.number == number))
    if version is None:
        raise NotFound(f"no deployed version {number}")
    return version


def latest_version_with(uow: UnitOfWork, process_id: str) -> ProcessVersion:
    """The newest version that deploys ``process_id`` (NotFound names the ones there are)."""
    session = uow.session
    for version in session.scalars(select(ProcessVersion).order_by(ProcessVersion.number.desc())):
        if process_id in version.process_ids:
            return version
    known = sorted({p for v in session.scalars(select(ProcessVersion)) for p in v.process_ids})
    hint = f"; deployed processes: {', '.join(known)}" if known else "; run 'doleance deploy' first"
    raise NotFound(f"no deployed process '{process_id}'{hint}")


def library_of(version: ProcessVersion) -> ProcessLibrary:
    """The version's specs, restored once and cached."""
    return library_for(version.content_hash, lambda: (version.specs, version.flows))


_POLICIES: dict[str, Policy] = {}


def policy_of(version: ProcessVersion) -> Policy:
    """The policy deployed with a version (the built-in defaults when it has none)."""
    if version.content_hash not in _POLICIES:
        text = version.files.get(POLICY_FILE)
        _POLICIES[version.content_hash] = parse_policy(text) if text else DEFAULT_POLICY
    return _POLICIES[version.content_hash]


_FORMS: dict[tuple[str, str], FormDefinition] = {}
_FORM_NAMES: dict[str, list[str]] = {}


def form_of(version: ProcessVersion, form_name: str) -> FormDefinition:
    """The form ``form_name`` (``assess.json``) of a version; NotFound when it has none."""
    key = (version.content_hash, form_name)
    if key not in _FORMS:
        text = version.files.get(FORMS_PREFIX + form_name)
        if text is None:
            raise NotFound(f"form '{form_name}' is not part of version {version.number}")
        _FORMS[key] = parse_form_definition(text, form_name)
    return _FORMS[key]


def form_names(version: ProcessVersion) -> list[str]:
    """The names of the forms deployed with a version, sorted."""
    if version.content_hash not in _FORM_NAMES:
        _FORM_NAMES[version.content_hash] = sorted(
            name.removeprefix(FORMS_PREFIX)
            for name in version.files
            if name.startswith(FORMS_PREFIX)
        )
    return _FORM_NAMES[version.content_hash]
