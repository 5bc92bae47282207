"""Drafts: a process file changed in the studio, kept only when the whole would-be version
(every draft plus the deployed files) passes the same checks as ``doleance validate``;
the checks an editor runs on a form or a policy; deploying the drafts as the next version."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from engine import clock
from engine.db.models import DraftFile, ProcessVersion
from engine.errors import (
    ConcurrentUpdate,
    DeploymentError,
    InvalidInput,
    NotFound,
)
from engine.forms import FormDefinition, FormDefinitionError, parse_form_definition
from engine.problems import Problem, Wording, wording_of
from engine.rules.business_calendar import CalendarError
from engine.rules.policy import POLICY_FILE, PolicyError, parse_policy
from engine.runtime import (
    FORMS_PREFIX,
    UnitOfWork,
    VersionView,
    check_deployment,
    require_latest_version,
    store_version,
    version_view,
)
from engine.services.studio.changes import FileChange
from engine.services.studio.files import (
    check_new_name,
    file_kind,
    files_with_drafts,
    normalized_text,
    text_hash,
)
from engine.services.studio.versions import diff_files
from engine.services.studio.xml_changes import same_content


class DraftRejected(DeploymentError):
    """The would-be version has problems: the draft was not saved. ``problems`` lists them."""


@dataclass(frozen=True)
class SavedDraft:
    name: str
    state: str  # saved; unchanged (the text is the deployed one: no draft is kept)
    source_hash: str


def save_draft(
    name: str, text: str, source_hash: str | None, actor: str, uow: UnitOfWork
) -> SavedDraft:
    """Check the would-be version with this text and keep it as a draft; nothing on a problem.

    ``source_hash`` is :func:`text_hash` of the text the editor started from: when someone
    saved the same file meanwhile, the save is refused (ConcurrentUpdate) rather than lost.
    """
    file_kind(name)
    text = normalized_text(text)
    with uow:
        session = uow.session
        latest = require_latest_version(uow)
        draft = session.get(DraftFile, name)
        current = draft.content if draft is not None else latest.files.get(name)
        if current is None:
            check_new_name(name)
        if source_hash is not None and source_hash != text_hash(current):
            raise ConcurrentUpdate(
                Wording("draft_changed", name=name, user=draft.updated_by)
                if draft
                else Wording("draft_changed_by_deployment", name=name)
            )
        files = files_with_drafts(session, latest)
        files[name] = text
        _, problems = check_deployment(files)
        if problems:
            raise DraftRejected(f"{len(problems)} problem(s): the draft was not saved", problems)
        if same_content(name, latest.files.get(name), text):
            if draft is not None:
                session.delete(draft)
                uow.commit()
            return SavedDraft(name, "unchanged", text_hash(text))
        if draft is None:
            draft = DraftFile(name=name)
            session.add(draft)
        draft.content = text
        draft.base_hash = latest.content_hash
        draft.updated_by = actor
        draft.updated_at = clock.now()
        uow.commit()
        return SavedDraft(name, "saved", text_hash(text))


def discard_draft(name: str, uow: UnitOfWork) -> None:
    """Forget the draft of ``name``: the deployed text is what the studio shows again."""
    with uow:
        draft = uow.session.get(DraftFile, name)
        if draft is None:
            raise NotFound(f"'{name}' has no draft")
        uow.session.delete(draft)
        uow.commit()


def check_form(name: str, text: str) -> tuple[FormDefinition | None, list[Problem]]:
    """A form definition as the task page would draw it, or its problems (with line numbers)."""
    form_name = name.removeprefix(FORMS_PREFIX)
    try:
        return parse_form_definition(normalized_text(text), form_name), []
    except FormDefinitionError as exc:
        return None, [
            Problem(FORMS_PREFIX + form_name, p.line, p.field, p.message) for p in exc.problems
        ]


@dataclass(frozen=True)
class DeadlinePreview:
    name: str
    due: datetime  # for a clock started now
    warning: datetime


def check_policy(text: str) -> tuple[list[DeadlinePreview], list[Problem]]:
    """Every deadline of a policy file as it would fall for a clock started now, or problems."""
    try:
        policy = parse_policy(normalized_text(text))
    except PolicyError as exc:
        return [], exc.problems
    now = clock.now()
    previews = []
    for name in sorted(policy.values.get("deadlines", {})):
        try:
            due, warning = policy.deadline(name, now), policy.warning(name, now)
        except CalendarError as exc:
            return [], [Problem(POLICY_FILE, None, f"deadlines.{name}", wording_of(exc))]
        previews.append(
            DeadlinePreview(name, datetime.fromisoformat(due), datetime.fromisoformat(warning))
        )
    return previews, []


def _drafts_token(drafts: Sequence[DraftFile]) -> str:
    """Names and contents of the drafts: a deployment confirms exactly what was shown."""
    digest = hashlib.sha256()
    for draft in sorted(drafts, key=lambda d: d.name):
        digest.update(draft.name.encode() + b"\0" + text_hash(draft.content).encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class DeploymentPreview:
    base: int | None  # the newest version, which the drafts change
    next_number: int
    changes: list[FileChange]
    token: str  # pass it back to deploy_drafts: it deploys exactly these drafts


def deployment_preview(uow: UnitOfWork) -> DeploymentPreview:
    with uow:
        session = uow.session
        latest = require_latest_version(uow)
        drafts = list(session.scalars(select(DraftFile)))
        files = files_with_drafts(session, latest)
        changes = diff_files(latest.files, files)
        bases = {d.base_hash for d in drafts} - {latest.content_hash}
        older = {
            v.content_hash: v
            for v in session.scalars(
                select(ProcessVersion).where(ProcessVersion.content_hash.in_(bases))
            )
        }
        outdated = {
            d.name
            for d in drafts
            if d.base_hash in older
            and older[d.base_hash].files.get(d.name) != latest.files.get(d.name)
        }
        changes = [dataclasses.replace(c, outdated=c.name in outdated) for c in changes]
        return DeploymentPreview(latest.number, latest.number + 1, changes, _drafts_token(drafts))


def deploy_drafts(token: str, actor: str, uow: UnitOfWork) -> VersionView:
    """Deploy the drafts as the next version and clear them, in one transaction."""
    with uow:
        session = uow.session
        latest = require_latest_version(uow)
        drafts = list(session.scalars(select(DraftFile)))
        if not drafts:
            raise InvalidInput(Wording("no_draft"))
        if token != _drafts_token(drafts):
            raise ConcurrentUpdate(Wording("drafts_changed"))
        version, created = store_version(uow, files_with_drafts(session, latest), actor)
        if not created:
            raise InvalidInput(Wording("nothing_new", number=version.number))
        session.execute(delete(DraftFile))
        uow.commit()
        return version_view(version, created=True)
