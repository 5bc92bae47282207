"""The studio's files: what kind each one is, the names it may create, the overview of the
newest version with its drafts, and a file as an editor opens it."""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.db.models import DraftFile, Instance, ProcessVersion
from engine.errors import (
    InvalidInput,
    NotFound,
)
from engine.messages.templates import MESSAGES_PREFIX
from engine.problems import Wording
from engine.rules.policy import POLICY_FILE
from engine.runtime import (
    FORMS_PREFIX,
    UnitOfWork,
    latest_version,
    require_latest_version,
)

KINDS = ("diagram", "decision", "form", "policy", "message")


#: The name of a file the studio creates, by kind: its pattern, in words, and an example.
_DATA_NAME = Wording("name_chars_data")  # a decision's id and its result's name come from it


_NEW_NAMES = {
    "form": (
        re.compile(r"^forms/[A-Za-z0-9_][A-Za-z0-9_.-]{0,120}\.json$"),
        Wording("name_chars_form"),
        "forms/check_documents.json",
    ),
    "decision": (re.compile(r"^[A-Za-z_]\w{0,120}\.dmn$", re.ASCII), _DATA_NAME, "escalation.dmn"),
    "diagram": (re.compile(r"^[A-Za-z_]\w{0,120}\.bpmn$", re.ASCII), _DATA_NAME, "escalation.bpmn"),
    "message": (
        re.compile(r"^messages/[a-z]{2}/[A-Za-z0-9_][A-Za-z0-9_-]{0,120}\.txt$"),
        Wording("name_chars_message"),
        "messages/fr/reminder.txt",
    ),
    "policy": (re.compile(rf"^{re.escape(POLICY_FILE)}$"), POLICY_FILE, POLICY_FILE),
}


NEW_FORM_TEMPLATE = """{
  "title": {"fr": "Nouveau formulaire", "en": "New form"},
  "fields": [
    {
      "key": "comment",
      "type": "long_text",
      "label": {"fr": "Commentaire", "en": "Comment"},
      "required": true
    }
  ]
}
"""


def file_kind(name: str) -> str:
    """diagram, decision, form, policy or message (template), from the file's name."""
    if name.startswith(FORMS_PREFIX) and name.endswith(".json"):
        return "form"
    if name.startswith(MESSAGES_PREFIX) and name.endswith(".txt"):
        return "message"
    for suffix, kind in ((".bpmn", "diagram"), (".dmn", "decision"), (".toml", "policy")):
        if name.endswith(suffix) and "/" not in name:
            return kind
    raise InvalidInput(Wording("name_not_process_file", name=name, policy=POLICY_FILE))


def _new_decision_table(name: str) -> str:
    """A new decision file: one decision table (its id is the file's name), ready to fill."""
    decision = name.removesuffix(".dmn")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"
    xmlns:dmndi="https://www.omg.org/spec/DMN/20191111/DMNDI/"
    xmlns:dc="http://www.omg.org/spec/DMN/20180521/DC/"
    id="{decision}_definitions" name="{decision}" namespace="http://doleance.org/dmn">
  <decision id="{decision}" name="{decision}">
    <decisionTable id="{decision}_table" hitPolicy="FIRST">
      <input id="{decision}_input" label="Catégorie">
        <inputExpression id="{decision}_input_expression" typeRef="string">
          <text>category</text>
        </inputExpression>
      </input>
      <output id="{decision}_output" label="Résultat" name="{decision}" typeRef="string" />
      <rule id="{decision}_rule">
        <inputEntry id="{decision}_rule_category"><text>-</text></inputEntry>
        <outputEntry id="{decision}_rule_result"><text>"normal"</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
  <dmndi:DMNDI>
    <dmndi:DMNDiagram id="{decision}_diagram">
      <dmndi:DMNShape id="{decision}_shape" dmnElementRef="{decision}">
        <dc:Bounds height="80" width="180" x="160" y="100" />
      </dmndi:DMNShape>
    </dmndi:DMNDiagram>
  </dmndi:DMNDI>
</definitions>
"""


#: What a new file holds when the studio opens it, by kind (from the file's name).
NEW_FILE_TEMPLATES: dict[str, Callable[[str], str]] = {
    "form": lambda _name: NEW_FORM_TEMPLATE,
    "decision": _new_decision_table,
}


def check_new_name(name: str) -> None:
    """A file the studio creates gets a plain name that works on every system and in git."""
    pattern, allowed, example = _NEW_NAMES[file_kind(name)]
    if not pattern.match(name):
        raise InvalidInput(Wording("name_refused", name=name, allowed=allowed, example=example))


def text_hash(text: str | None) -> str:
    """What an editor was given, so a save can tell whether someone changed it meanwhile."""
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StudioFile:
    name: str
    kind: str
    state: str  # deployed, draft (changed since the newest version), new (not deployed yet)
    draft_by: str | None = None
    draft_at: datetime | None = None


@dataclass(frozen=True)
class VersionSummary:
    number: int
    content_hash: str
    deployed_by: str
    deployed_at: datetime
    process_ids: list[str]
    running: int
    finished: int


@dataclass(frozen=True)
class StudioOverview:
    files: list[StudioFile]
    versions: list[VersionSummary]  # newest first

    @property
    def drafts(self) -> list[StudioFile]:
        return [f for f in self.files if f.state != "deployed"]

    @property
    def latest(self) -> VersionSummary | None:
        return self.versions[0] if self.versions else None


@dataclass(frozen=True)
class EditableFile:
    """A file as an editor opens it: the draft when there is one, else the deployed text."""

    name: str
    kind: str
    text: str
    source_hash: str
    is_draft: bool
    is_new: bool
    version: int | None  # the newest deployed version
    forms: list[str]  # form files a user task may use (without the forms/ prefix)
    deadlines: list[str]  # deadline names of the policy a timer may use as its clock


def overview(uow: UnitOfWork) -> StudioOverview:
    """The files of the newest version and the drafts, then every version with its complaints."""
    with uow:
        session = uow.session
        latest = latest_version(uow)
        deployed = dict(latest.files) if latest else {}
        drafts = {d.name: d for d in session.scalars(select(DraftFile))}
        files = []
        for name in sorted(deployed.keys() | drafts.keys(), key=file_order):
            draft = drafts.get(name)
            state = "deployed" if draft is None else ("draft" if name in deployed else "new")
            files.append(
                StudioFile(
                    name,
                    file_kind(name),
                    state,
                    draft.updated_by if draft else None,
                    draft.updated_at if draft else None,
                )
            )
        counts: dict[int, dict[str, int]] = {}
        for version_id, status, count in session.execute(
            select(Instance.version_id, Instance.status, func.count()).group_by(
                Instance.version_id, Instance.status
            )
        ):
            counts.setdefault(version_id, {})[status] = count
        versions = [
            VersionSummary(
                v.number,
                v.content_hash,
                v.deployed_by,
                v.deployed_at,
                list(v.process_ids),
                sum(n for s, n in counts.get(v.id, {}).items() if s != "completed"),
                counts.get(v.id, {}).get("completed", 0),
            )
            for v in session.scalars(select(ProcessVersion).order_by(ProcessVersion.number.desc()))
        ]
        return StudioOverview(files, versions)


def open_file(name: str, uow: UnitOfWork, new: bool = False) -> EditableFile:
    """The text to edit; ``new`` opens a form or a decision table that does not exist yet
    from a template."""
    kind = file_kind(name)
    with uow:
        session = uow.session
        latest = require_latest_version(uow)
        draft = session.get(DraftFile, name)
        if draft is not None:
            text, source = draft.content, draft.content
        elif name in latest.files:
            text, source = latest.files[name], latest.files[name]
        elif new and kind in NEW_FILE_TEMPLATES:
            check_new_name(name)
            text, source = NEW_FILE_TEMPLATES[kind](name), None
        else:
            raise NotFound(f"no process file '{name}' in the newest version or the drafts")
        return EditableFile(
            name,
            kind,
            text,
            text_hash(source),
            draft is not None,
            name not in latest.files,
            latest.number,
            _form_names(latest.files, session),
            _deadline_names(files_with_drafts(session, latest).get(POLICY_FILE)),
        )


def _form_names(deployed: Mapping[str, str], session: Session) -> list[str]:
    names = set(deployed) | set(session.scalars(select(DraftFile.name)))
    return sorted(n[len(FORMS_PREFIX) :] for n in names if n.startswith(FORMS_PREFIX))


def file_order(name: str) -> tuple[int, str]:
    return KINDS.index(file_kind(name)), name


def _deadline_names(policy_text: str | None) -> list[str]:
    try:
        values = tomllib.loads(policy_text or "")
    except tomllib.TOMLDecodeError:
        return []
    deadlines = values.get("deadlines")
    return sorted(deadlines) if isinstance(deadlines, Mapping) else []


def normalized_text(text: str) -> str:
    if not isinstance(text, str):
        raise InvalidInput(Wording("text_missing"))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def files_with_drafts(session: Session, latest: ProcessVersion) -> dict[str, str]:
    files = dict(latest.files)
    files.update({d.name: d.content for d in session.scalars(select(DraftFile))})
    return files
