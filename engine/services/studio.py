"""The studio's use cases: process files and their drafts, the checks a draft must pass, what
a deployment changes, deploying drafts, moving running complaints between versions, exports.

A draft is a process file (diagram, decision table, form or policy) edited by a process owner
and checked, waiting to be deployed. A draft is only stored when the whole would-be version
(every draft plus the deployed files) passes the same checks as ``doleance validate``.
Deploying the drafts makes the next version; complaints already running stay on theirs until
they are migrated, one transaction per complaint, when SpiffWorkflow's diff says it is safe.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import io
import json
import re
import tomllib
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from engine import clock
from engine.bpmn.diagrams import BPMN_NS
from engine.bpmn.workflow import MigrationConflict, RunningWorkflow, ScriptError
from engine.db.models import AuditEvent, DraftFile, HumanTask, Instance, ProcessVersion
from engine.errors import (
    ConcurrentUpdate,
    DeploymentError,
    DoleanceError,
    InvalidInput,
    NotFound,
)
from engine.forms.definitions import FormDefinition, FormDefinitionError, parse_form_definition
from engine.messages.templates import MESSAGES_PREFIX
from engine.problems import Problem, Wording, wording_of
from engine.rules.business_calendar import CalendarError
from engine.rules.policy import POLICY_FILE, PolicyError, parse_policy
from engine.runtime import (
    FORMS_PREFIX,
    SYSTEM_ACTOR,
    UnitOfWork,
    VersionView,
    check_deployment,
    latest_version,
    library_of,
    load_complaint,
    require_latest_version,
    restore_workflow,
    save_run,
    script_helpers,
    store_version,
    version_numbered,
    version_view,
)

KINDS = ("diagram", "decision", "form", "policy", "message")
MIGRATED = "instance_migrated"
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


class DraftRejected(DeploymentError):
    """The would-be version has problems: the draft was not saved. ``problems`` lists them."""


class MigrationRefused(DoleanceError):
    """A complaint cannot move to the version asked for; ``reasons`` says why."""

    def __init__(self, message: str, reasons: Sequence[Reason]):
        super().__init__(message)
        self.reasons = list(reasons)


# --- files ------------------------------------------------------------------------------------


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


def _check_new_name(name: str) -> None:
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
        for name in sorted(deployed.keys() | drafts.keys(), key=_file_order):
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
            _check_new_name(name)
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
            _deadline_names(_files_with_drafts(session, latest).get(POLICY_FILE)),
        )


def _form_names(deployed: Mapping[str, str], session: Session) -> list[str]:
    names = set(deployed) | set(session.scalars(select(DraftFile.name)))
    return sorted(n[len(FORMS_PREFIX) :] for n in names if n.startswith(FORMS_PREFIX))


def _file_order(name: str) -> tuple[int, str]:
    return KINDS.index(file_kind(name)), name


# --- drafts -----------------------------------------------------------------------------------


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
    text = _normalized(text)
    with uow:
        session = uow.session
        latest = require_latest_version(uow)
        draft = session.get(DraftFile, name)
        current = draft.content if draft is not None else latest.files.get(name)
        if current is None:
            _check_new_name(name)
        if source_hash is not None and source_hash != text_hash(current):
            raise ConcurrentUpdate(
                Wording("draft_changed", name=name, user=draft.updated_by)
                if draft
                else Wording("draft_changed_by_deployment", name=name)
            )
        files = _files_with_drafts(session, latest)
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
        return parse_form_definition(_normalized(text), form_name), []
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
        policy = parse_policy(_normalized(text))
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


def _deadline_names(policy_text: str | None) -> list[str]:
    try:
        values = tomllib.loads(policy_text or "")
    except tomllib.TOMLDecodeError:
        return []
    deadlines = values.get("deadlines")
    return sorted(deadlines) if isinstance(deadlines, Mapping) else []


def same_content(name: str, deployed: str | None, text: str) -> bool:
    """Whether ``text`` says what the deployed file says (an XML file saved back by an editor
    differs only in layout of the text: indentation, quotes, entities, attribute order)."""
    if deployed is None or deployed == text:
        return deployed == text
    if file_kind(name) not in ("diagram", "decision"):
        return False
    old, new = _parse_xml(deployed), _parse_xml(text)
    return old is not None and new is not None and _xml_content(old) == _xml_content(new)


def _xml_content(element) -> tuple:
    """What an element says. In the layout part, the order of shapes and what modelers add
    on their own (``isHorizontal``, ``isMarkerVisible``, empty labels) do not count."""
    layout = _is_layout(element)
    attributes = sorted(
        (key, value)
        for key, value in element.attrib.items()
        if not (layout and value == "true" and _attr_name(key) in _LAYOUT_DEFAULTS)
    )
    children = [
        _xml_content(child)
        for child in element
        if isinstance(child.tag, str) and not (layout and _is_empty(child))
    ]
    return (
        element.tag,
        attributes,
        (element.text or "").strip(),
        sorted(children, key=repr) if layout else children,
    )


def _is_empty(element) -> bool:
    return not element.attrib and not (element.text or "").strip() and not len(element)


def _normalized(text: str) -> str:
    if not isinstance(text, str):
        raise InvalidInput(Wording("text_missing"))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _files_with_drafts(session: Session, latest: ProcessVersion) -> dict[str, str]:
    files = dict(latest.files)
    files.update({d.name: d.content for d in session.scalars(select(DraftFile))})
    return files


def _drafts_token(drafts: Sequence[DraftFile]) -> str:
    """Names and contents of the drafts: a deployment confirms exactly what was shown."""
    digest = hashlib.sha256()
    for draft in sorted(drafts, key=lambda d: d.name):
        digest.update(draft.name.encode() + b"\0" + text_hash(draft.content).encode())
    return digest.hexdigest()


# --- what changed -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Detail:
    """One aspect of an element that differs: ``aspect`` says what (name, timer, cell…)."""

    aspect: str
    label: str | None
    before: str | None
    after: str | None


@dataclass(frozen=True)
class ElementChange:
    change: str  # added, removed, changed
    element_id: str
    name: str | None
    type: str  # the element's tag (userTask, rule…), or field, table
    details: tuple[Detail, ...] = ()


@dataclass(frozen=True)
class FileChange:
    name: str
    kind: str
    change: str  # added, removed, changed
    elements: tuple[ElementChange, ...] = ()
    layout_changed: bool = False  # diagram positions moved (not listed element by element)
    outdated: bool = False  # the draft was made from an older version, whose file differs


def diff_files(old: Mapping[str, str], new: Mapping[str, str]) -> list[FileChange]:
    """What changed from one set of process files to another, file by file, element by element."""
    changes = []
    for name in sorted(old.keys() | new.keys(), key=_file_order):
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        kind = file_kind(name)
        elements, layout = _ELEMENT_DIFFS[kind](before, after)
        change = "added" if before is None else "removed" if after is None else "changed"
        changes.append(FileChange(name, kind, change, tuple(elements), layout))
    return changes


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
        files = _files_with_drafts(session, latest)
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
        version, created = store_version(uow, _files_with_drafts(session, latest), actor)
        if not created:
            raise InvalidInput(Wording("nothing_new", number=version.number))
        session.execute(delete(DraftFile))
        uow.commit()
        return version_view(version, created=True)


# --- element by element: diagrams and decision tables ---------------------------------------

_LAYOUT_NAMESPACES = ("/DI", "/DC", "DMNDI")  # BPMNDI, DMNDI, DC, DI: positions and sizes
_LAYOUT_DEFAULTS = ("isHorizontal", "isMarkerVisible")
_BPMN_PARTS = {"laneSet", "ioSpecification", "inputSet", "outputSet", "dataInput", "dataOutput"}
_DMN_NAMED_BY = {"decision": "name", "input": "label", "output": "label"}


def _is_layout(element) -> bool:
    namespace = etree.QName(element).namespace or ""
    return any(marker in namespace for marker in _LAYOUT_NAMESPACES)


def _local(element) -> str:
    return etree.QName(element).localname


def _parse_xml(text: str | None):
    if text is None:
        return None
    try:
        parser = etree.XMLParser(  # one per call: lxml parsers are not shared across threads
            remove_blank_text=True, resolve_entities=False, no_network=True, remove_comments=True
        )
        return etree.fromstring(text.encode("utf-8"), parser)
    except etree.XMLSyntaxError:
        return None


def _canonical(element, skip: Callable[[object], bool]) -> str:
    """A stable text of an element's content, leaving out the descendants ``skip`` names."""
    parts = [_local(element)]
    parts += [f"@{_attr_name(k)}={v}" for k, v in sorted(element.attrib.items())]
    if (element.text or "").strip():
        parts.append(element.text.strip())
    for child in element:
        if isinstance(child.tag, str) and not skip(child):
            parts.append("(" + _canonical(child, skip) + ")")
    return " ".join(parts)


def _attr_name(key: str) -> str:
    return etree.QName(key).localname


def _xml_diff(reported, named, aspects) -> Callable:
    """An element differ for one XML dialect.

    ``reported(element)`` tells the elements listed on their own (the others belong to their
    parent); ``named(element)`` gives an element's human name; ``aspects(element, root)``
    maps (aspect, label) to a text for everything a person may have changed on it.
    """

    def elements_of(root) -> dict[str, object]:
        if root is None:
            return {}
        return {
            el.get("id"): el
            for el in root.iter()
            if isinstance(el.tag, str)
            and el is not root
            and el.get("id")
            and not _is_layout(el)
            and reported(el)
        }

    def layout_of(root) -> list[tuple]:
        if root is None:
            return []
        return [_xml_content(el) for el in root if isinstance(el.tag, str) and _is_layout(el)]

    def diff(before: str | None, after: str | None) -> tuple[list[ElementChange], bool]:
        old_root, new_root = _parse_xml(before), _parse_xml(after)
        old, new = elements_of(old_root), elements_of(new_root)
        changes = []
        for element_id in [*old, *(i for i in new if i not in old)]:
            was, now = old.get(element_id), new.get(element_id)
            element = now if now is not None else was
            if was is None or now is None:
                changes.append(
                    ElementChange(
                        "added" if was is None else "removed",
                        element_id,
                        named(element),
                        _local(element),
                    )
                )
                continue
            old_aspects, new_aspects = aspects(was, old_root), aspects(now, new_root)
            details = tuple(
                Detail(aspect, label, old_aspects.get(key), new_aspects.get(key))
                for key in sorted(old_aspects.keys() | new_aspects.keys(), key=_aspect_order)
                for aspect, label in [key]
                if old_aspects.get(key) != new_aspects.get(key)
            )
            if details:
                changes.append(
                    ElementChange("changed", element_id, named(now), _local(now), details)
                )
        layout_changed = (
            old_root is not None
            and new_root is not None
            and layout_of(old_root) != layout_of(new_root)
        )
        return changes, layout_changed

    return diff


def _aspect_order(key: tuple[str, str | None]) -> tuple[str, str]:
    return key[0], key[1] or ""


def _bpmn_reported(element) -> bool:
    name = _local(element)
    return (
        etree.QName(element).namespace == BPMN_NS
        and name not in _BPMN_PARTS
        and not name.endswith("EventDefinition")
        and name not in ("definitions", "extensionElements")
    )


def _bpmn_named(element) -> str | None:
    return element.get("name") or None


def _text(element) -> str:
    return (element.text or "").strip()


def _bpmn_aspects(element, root) -> dict[tuple[str, str | None], str]:
    aspects: dict[tuple[str, str | None], str] = {}
    for key, value in element.attrib.items():
        name = _attr_name(key)
        if name != "id":
            aspects[("name", None) if name == "name" else ("attribute", name)] = value
    connections: list[str] = []
    for child in element:
        if not isinstance(child.tag, str) or _bpmn_reported_with_id(child):
            continue
        name = _local(child)
        if name in ("incoming", "outgoing"):
            connections.append(f"{name}:{_text(child)}")
        elif name == "flowNodeRef":
            continue  # lane membership is shown on the element that moved
        elif name in ("documentation", "conditionExpression", "script"):
            aspect = {"conditionExpression": "condition"}.get(name, name)
            aspects[(aspect, None)] = _text(child)
        elif name == "extensionElements":
            aspects.update(_extension_aspects(child))
        elif name.endswith("EventDefinition"):
            aspects.update(_event_aspects(child))
        else:
            aspects[("content", name)] = _canonical(child, _bpmn_reported_with_id)
    if connections:
        aspects[("connections", None)] = " ".join(sorted(connections))
    lane = _lane_of(element, root)
    if lane is not None:
        aspects[("lane", None)] = lane
    return aspects


def _bpmn_reported_with_id(element) -> bool:
    return bool(element.get("id")) and _bpmn_reported(element)


def _extension_aspects(extensions) -> dict[tuple[str, str | None], str]:
    aspects = {}
    for child in extensions:
        if not isinstance(child.tag, str):
            continue
        name = _local(child)
        if name == "properties":
            for prop in child:
                if isinstance(prop.tag, str):
                    aspects[("property", prop.get("name"))] = prop.get("value") or _text(prop)
        elif len(child) or child.attrib:
            aspects[("extension", name)] = _canonical(child, lambda _: False)
        else:
            aspects[("extension", name)] = _text(child)
    return aspects


def _event_aspects(definition) -> dict[tuple[str, str | None], str]:
    aspects = {}
    rest = []
    for child in definition:
        if not isinstance(child.tag, str):
            continue
        if _local(child) in ("timeDate", "timeDuration", "timeCycle"):
            aspects[("timer", _local(child))] = _text(child)
        elif _local(child) == "extensionElements":
            aspects.update(_extension_aspects(child))
        else:
            rest.append(_canonical(child, lambda _: False))
    attributes = [f"{_attr_name(k)}={v}" for k, v in sorted(definition.attrib.items())]
    attributes = [a for a in attributes if not a.startswith("id=")]
    if rest or attributes:
        aspects[("event", _local(definition))] = " ".join(attributes + rest)
    return aspects


def _lane_of(element, root) -> str | None:
    element_id = element.get("id")
    for lane in root.iter("{*}lane"):
        if any(_is_tag(ref, "flowNodeRef") and _text(ref) == element_id for ref in lane):
            return lane.get("name") or lane.get("id")
    return None


def _dmn_reported(element) -> bool:
    return _local(element) in ("decision", "decisionTable", "input", "output", "rule")


def _dmn_named(element) -> str | None:
    if _local(element) == "rule":
        descriptions = [_text(c) for c in element if _is_tag(c, "description")]
        return descriptions[0] if descriptions and descriptions[0] else None
    attribute = _DMN_NAMED_BY.get(_local(element))
    return (element.get(attribute) or element.get("name")) if attribute else None


def _is_tag(element, name: str) -> bool:
    return isinstance(element.tag, str) and _local(element) == name


def _dmn_aspects(element, _root) -> dict[tuple[str, str | None], str]:
    aspects: dict[tuple[str, str | None], str] = {}
    for key, value in element.attrib.items():
        name = _attr_name(key)
        if name != "id":
            aspects[("name", None) if name in ("name", "label") else ("attribute", name)] = value
    if _local(element) == "rule":
        aspects.update(_rule_aspects(element))
        return aspects
    for child in element:
        if not isinstance(child.tag, str) or _dmn_reported(child):
            continue
        name = _local(child)
        if name == "inputExpression":
            aspects[("expression", None)] = _entry_text(child)
            if child.get("typeRef"):
                aspects[("attribute", "typeRef")] = child.get("typeRef")
        elif name == "description":
            aspects[("description", None)] = _text(child)
        else:
            aspects[("content", name)] = _canonical(child, _dmn_reported)
    return aspects


def _rule_aspects(rule) -> dict[tuple[str, str | None], str]:
    """A rule's place in its table (the first match wins), its description, and each cell
    under the label of its column."""
    table = rule.getparent()
    rules = [c for c in table if _is_tag(c, "rule")]
    aspects = {("position", None): str(rules.index(rule) + 1)}
    for column_tag, entry_tag in (("input", "inputEntry"), ("output", "outputEntry")):
        columns = [c for c in table if _is_tag(c, column_tag)]
        for index, entry in enumerate(c for c in rule if _is_tag(c, entry_tag)):
            column = columns[index] if index < len(columns) else None
            label = (
                f"#{index + 1}"
                if column is None
                else (column.get("label") or column.get("name") or column.get("id"))
            )
            aspects[("cell", label)] = _entry_text(entry)
    descriptions = [_text(c) for c in rule if _is_tag(c, "description")]
    if descriptions:
        aspects[("description", None)] = descriptions[0]
    return aspects


def _entry_text(entry) -> str:
    texts = [_text(c) for c in entry if _is_tag(c, "text")]
    return texts[0] if texts else _text(entry)


# --- element by element: forms and the policy -------------------------------------------------


def _json_text(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _form_diff(before: str | None, after: str | None) -> tuple[list[ElementChange], bool]:
    old, new = _form_parts(before), _form_parts(after)
    changes = []
    old_header, new_header = old.pop("", {}), new.pop("", {})
    header = _dict_details(old_header, new_header)
    if header and before is not None and after is not None:
        changes.append(
            ElementChange("changed", "", _label(new_header.get("title")), "form", header)
        )
    old_order, new_order = list(old), list(new)
    for key in [*old_order, *(k for k in new_order if k not in old)]:
        was, now = old.get(key), new.get(key)
        if was is None or now is None:
            field_def = now if now is not None else was
            change = "added" if was is None else "removed"
            changes.append(ElementChange(change, key, _label(field_def.get("label")), "field"))
            continue
        details = _dict_details(was, now)
        if key in old_order and key in new_order:
            before_position = [k for k in old_order if k in new].index(key)
            after_position = [k for k in new_order if k in old].index(key)
            if before_position != after_position:
                details += (
                    Detail("position", None, str(before_position + 1), str(after_position + 1)),
                )
        if details:
            changes.append(
                ElementChange("changed", key, _label(now.get("label")), "field", details)
            )
    return changes, False


def _form_parts(text: str | None) -> dict[str, dict]:
    """The form's own keys (title, description…) under "", then each field by key, in order."""
    if text is None:
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return {"": {"(text)": text}}
    if not isinstance(data, dict):
        return {"": {"(text)": text}}
    parts = {"": {k: v for k, v in data.items() if k != "fields"}}
    for index, field_def in enumerate(data.get("fields") or []):
        if isinstance(field_def, dict):
            parts[str(field_def.get("key") or f"#{index + 1}")] = field_def
    return parts


def _dict_details(old: Mapping, new: Mapping) -> tuple[Detail, ...]:
    return tuple(
        Detail(
            "property",
            key,
            None if key not in old else _json_text(old[key]),
            None if key not in new else _json_text(new[key]),
        )
        for key in sorted(old.keys() | new.keys())
        if old.get(key) != new.get(key) or (key in old) != (key in new)
    )


def _label(texts) -> str | None:
    if isinstance(texts, dict):
        return texts.get("fr") or next(iter(texts.values()), None)
    return texts if isinstance(texts, str) else None


def _policy_diff(before: str | None, after: str | None) -> tuple[list[ElementChange], bool]:
    old, new = _policy_tables(before), _policy_tables(after)
    changes = []
    for table in sorted(old.keys() | new.keys()):
        was, now = old.get(table), new.get(table)
        if was == now:
            continue
        if was is None or now is None:
            values = now if now is not None else was
            details = tuple(
                Detail("value", key, None if was is None else v, v if was is None else None)
                for key, v in sorted(values.items())
            )
            change = "added" if was is None else "removed"
            changes.append(ElementChange(change, table, None, "table", details))
            continue
        details = tuple(
            Detail("value", key, was.get(key), now.get(key))
            for key in sorted(was.keys() | now.keys())
            if was.get(key) != now.get(key)
        )
        changes.append(ElementChange("changed", table, None, "table", details))
    return changes, False


def _policy_tables(text: str | None) -> dict[str, dict[str, str]]:
    """The policy's values grouped by table: {"deadlines.answer": {"preset": '"psd2-answer"'}}."""
    if text is None:
        return {}
    try:
        values = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {"(file)": {"(text)": text}}
    tables: dict[str, dict[str, str]] = {}

    def walk(prefix: str, node: Mapping) -> None:
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else key
            if isinstance(value, Mapping):
                walk(path, value)
            else:
                tables.setdefault(prefix or "(top level)", {})[key] = _json_text(value)

    walk("", values)
    return tables


def _lines_diff(before: str | None, after: str | None) -> tuple[list[ElementChange], bool]:
    """A text file (a message template) by runs of lines: "lines 3-5" changed from… to…."""
    old, new = (before or "").splitlines(), (after or "").splitlines()
    changes = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        lines = f"{j1 + 1}-{max(j2, j1 + 1)}" if tag != "delete" else f"{i1 + 1}-{i2}"
        change = {"insert": "added", "delete": "removed"}.get(tag, "changed")
        detail = Detail("text", None, "\n".join(old[i1:i2]) or None, "\n".join(new[j1:j2]) or None)
        changes.append(ElementChange(change, lines, None, "lines", (detail,)))
    return changes, False


_ELEMENT_DIFFS: dict[str, Callable[[str | None, str | None], tuple[list, bool]]] = {
    "diagram": _xml_diff(_bpmn_reported, _bpmn_named, _bpmn_aspects),
    "decision": _xml_diff(_dmn_reported, _dmn_named, _dmn_aspects),
    "form": _form_diff,
    "policy": _policy_diff,
    "message": _lines_diff,
}


# --- versions and exports ---------------------------------------------------------------------


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


# --- migration --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """Why one complaint cannot move. ``code``: element_changed, element_removed,
    element_replaced (by the element in ``attributes``), process_removed, form_changed,
    not_running, not_on_version, failed."""

    code: str
    process_id: str | None = None
    element_id: str | None = None
    element_name: str | None = None
    state: str | None = None
    attributes: tuple[str, ...] = ()
    message: str | None = None
    version: int | None = None


@dataclass(frozen=True)
class Candidate:
    reference: str
    process_id: str
    stage: str | None
    summary: dict
    reasons: list[Reason] = field(default_factory=list)

    @property
    def movable(self) -> bool:
        return not self.reasons


@dataclass(frozen=True)
class MigrationPlan:
    source: int
    target: int
    revert: bool
    candidates: list[Candidate]
    changes: list[FileChange]  # from the source version's files to the target's

    @property
    def movable(self) -> list[Candidate]:
        return [c for c in self.candidates if c.movable]

    @property
    def refused(self) -> list[Candidate]:
        return [c for c in self.candidates if not c.movable]


@dataclass(frozen=True)
class MigrationReport:
    source: int
    target: int
    revert: bool
    moved: list[str]
    refused: list[Candidate]


def plan_migration(
    source: int, target: int, uow: UnitOfWork, revert: bool = False
) -> MigrationPlan:
    """The dry run: each running complaint of version ``source``, and whether it can move.

    With ``revert``, only the complaints that were migrated from ``target`` to ``source``
    are listed (moving them back is the revert); the same checks apply.
    """
    if source == target:
        raise InvalidInput(Wording("same_versions"))
    with uow:
        session = uow.session
        old, new = version_numbered(uow, source), version_numbered(uow, target)
        candidates = [
            Candidate(
                instance.reference,
                instance.process_id,
                instance.stage,
                dict(instance.summary or {}),
                _reasons(session, uow, instance, new),
            )
            for instance in _instances_to_move(session, old, new, revert)
        ]
        return MigrationPlan(source, target, revert, candidates, diff_files(old.files, new.files))


def migrate_complaints(
    source: int,
    target: int,
    actor: str,
    new_uow: Callable[[], UnitOfWork],
    revert: bool = False,
) -> MigrationReport:
    """Move every complaint of the plan that can move, one transaction per complaint.

    Each complaint is locked and checked again as it moves; one that cannot is reported and
    left as it was. Each move is recorded in the complaint's audit trail (instance_migrated).
    """
    plan = plan_migration(source, target, new_uow(read_only=True), revert)
    moved, refused = [], list(plan.refused)
    for candidate in plan.movable:
        try:
            migrate_complaint(candidate.reference, source, target, actor, new_uow(), revert)
        except MigrationRefused as exc:
            refused.append(dataclasses.replace(candidate, reasons=exc.reasons))
        except ConcurrentUpdate as exc:
            failure = Reason("failed", message=str(exc))
            refused.append(dataclasses.replace(candidate, reasons=[failure]))
        else:
            moved.append(candidate.reference)
    return MigrationReport(source, target, revert, moved, refused)


def migrate_complaint(
    reference: str, source: int, target: int, actor: str, uow: UnitOfWork, revert: bool = False
) -> None:
    """Move one complaint from version ``source`` to ``target`` when it is safe, or refuse."""
    with uow:
        session = uow.session
        instance = load_complaint(uow, reference, lock=True)
        new = version_numbered(uow, target)
        current = instance.process_version.number
        if current != source:
            raise MigrationRefused(
                f"{reference} is on version {current}, not {source}",
                [Reason("not_on_version", version=current)],
            )
        try:
            running = restore_workflow(uow, instance, actor)
            reasons = _reasons(session, uow, instance, new, running)
            if reasons:
                raise MigrationRefused(f"{reference} cannot move to version {target}", reasons)
            instance.version_id, instance.process_version = new.id, new
            helpers = script_helpers(uow, instance, actor)
            running.migrate(library_of(new), helpers)
            events = running.run()
        except ScriptError as exc:
            failure = Reason(
                "failed",
                element_id=exc.element_id,
                element_name=exc.element_name,
                message=str(exc),
            )
            raise MigrationRefused(
                f"{reference} cannot move to version {target}", [failure]
            ) from exc
        uow.record(
            instance,
            MIGRATED,
            actor,
            process_id=instance.process_id,
            data={"from": source, "to": target, "revert": revert, "content_hash": new.content_hash},
        )
        save_run(uow, instance, running, events, actor)
        uow.commit()


def _instances_to_move(
    session: Session, old: ProcessVersion, new: ProcessVersion, revert: bool
) -> list[Instance]:
    running = list(
        session.scalars(
            select(Instance)
            .where(Instance.version_id == old.id, Instance.status == "running")
            .order_by(Instance.id)
        )
    )
    if not revert:
        return running
    last_moves = {}
    for event in session.scalars(
        select(AuditEvent)
        .where(AuditEvent.kind == MIGRATED, AuditEvent.chain.in_([i.reference for i in running]))
        .order_by(AuditEvent.chain, AuditEvent.seq)
    ):
        last_moves[event.chain] = event.data
    return [
        i
        for i in running
        if last_moves.get(i.reference, {}).get("from") == new.number
        and last_moves[i.reference].get("to") == old.number
    ]


def _reasons(
    session: Session,
    uow: UnitOfWork,
    instance: Instance,
    new: ProcessVersion,
    running: RunningWorkflow | None = None,
) -> list[Reason]:
    """Every reason the complaint cannot move to ``new`` (SpiffWorkflow's diff, then forms)."""
    if instance.status != "running":
        return [Reason("not_running", state=instance.status)]
    if running is None:
        running = restore_workflow(uow, instance, SYSTEM_ACTOR)
    reasons = [_reason(c) for c in running.migration_conflicts(library_of(new))]
    old_files = instance.process_version.files
    for task in session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)):
        form = FORMS_PREFIX + task.form if task.form else None
        if form and old_files.get(form) != new.files.get(form):
            reasons.append(
                Reason(
                    "form_changed", task.process_id, task.bpmn_id, task.name, "ready", (task.form,)
                )
            )
    return reasons


def _reason(conflict: MigrationConflict) -> Reason:
    code = {
        "changed": "element_changed",
        "removed": "element_removed",
        "replaced": "element_replaced",
    }.get(conflict.change, "process_removed")
    return Reason(
        code,
        conflict.process_id,
        conflict.element_id,
        conflict.element_name,
        conflict.state,
        conflict.attributes,
    )
