"""The trace of a complaint, for auditors: the exact path it took on its diagrams, its timeline
with the data each step changed, the messages it sent, its deadlines, and exports of its trail.

Everything is read from the audit trail (``AuditEvent``), completed by the projections that say
where a running complaint waits now (``HumanTask`` and ``Timer`` rows) and by the diagrams of
the process version it runs on. An export is itself recorded in the trail
(``trail_exported``), on the complaint's chain or, for a date range, on the system chain.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from engine.bpmn.parsing import FLOW_NODE_TYPES
from engine.db.models import (
    AuditEvent,
    HumanTask,
    Instance,
    InstanceLink,
    ProcessVersion,
    Timer,
)
from engine.errors import InvalidInput, NotFound
from engine.messages.outbox import MessageView, instance_messages
from engine.rules.clocks import ClockView
from engine.runtime import (
    COMPLAINT_PROCESS,
    CORRECTIVE_ACTION_PROCESS,
    DEFAULT_PRIORITY_LEVELS,
    UnitOfWork,
    latest_version,
    load_complaint,
    policy_of,
)
from engine.services.timers import clocks_by_reference
from engine.trace import audit

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
GATEWAYS = frozenset(
    {
        "exclusiveGateway",
        "inclusiveGateway",
        "parallelGateway",
        "eventBasedGateway",
        "complexGateway",
    }
)
FLOW_NODES = FLOW_NODE_TYPES | GATEWAYS
#: Event kinds that mean a token went through the element (it completed once more).
PASSING_KINDS = frozenset(
    {
        "process_entered",
        "process_ended",
        "task_completed",
        "element_completed",
        "milestone_reached",
        "message_sent",
        "message_received",
        "timer_fired",
        "gateway_passed",
        "subprocess_completed",
    }
)
EXPORTED = "trail_exported"
TRAIL_FORMATS = ("json", "csv")
REPORT_FORMAT = "html"
TRAIL_COLUMNS = (
    "seq",
    "at",
    "actor",
    "kind",
    "process_id",
    "element_id",
    "element_name",
    "data",
    "prev_hash",
    "hash",
)
#: The process data the regulator's export reads (see docs/AUDIT.md): the first time a key
#: got a value dates the step; the last value is the outcome.
ACKNOWLEDGED_KEY, ANSWERED_KEY = "acknowledged_at", "answered_at"
OUTCOME_KEY, REMEDY_KEY, REOPEN_KEY = "closure_reason", "remedy", "reopen_count"
REGULATOR_COLUMNS = (
    "reference",
    "received_at",
    "channel",
    "kind",
    "category",
    "product",
    "priority",
    "acknowledged_at",
    "answered_at",
    "closed_at",
    "status",
    "stage",
    "outcome",
    "remedy",
    "reopen_count",
    "escalations",
    "deadlines_met",
    "deadlines_breached",
    "deadlines_open",
    "corrective_action",
    "process_version",
)
MAX_RANGE_DAYS = 3 * 366
_CLOCK_BATCH = 500
_MISSING = object()


# --- the diagrams of a version ----------------------------------------------------------------


@dataclass(frozen=True)
class DiagramElement:
    id: str
    type: str  # the BPMN tag: userTask, exclusiveGateway, boundaryEvent…
    name: str | None
    incoming: tuple[str, ...]  # sequence flow ids
    outgoing: tuple[str, ...]
    attached_to: str | None = None
    called_process: str | None = None
    trigger: str | None = None  # an event's definition: timer, message, error, signal…

    @property
    def is_gateway(self) -> bool:
        return self.type in GATEWAYS


@dataclass(frozen=True)
class DiagramFlow:
    id: str
    source: str
    target: str
    name: str | None


@dataclass(frozen=True)
class ProcessDiagram:
    """One process of a deployed version: its elements and sequence flows, and its file."""

    process_id: str
    name: str | None
    file: str
    elements: dict[str, DiagramElement]
    flows: dict[str, DiagramFlow]

    def flow_between(self, source: str, target: str) -> str | None:
        for flow in self.flows.values():
            if flow.source == source and flow.target == target:
                return flow.id
        return None


_DIAGRAMS: OrderedDict[str, dict[str, ProcessDiagram]] = OrderedDict()
_DIAGRAM_CACHE_SIZE = 32
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def diagrams_of(version: ProcessVersion) -> dict[str, ProcessDiagram]:
    """Every process of a version's BPMN files, by process id (parsed once per version)."""
    cached = _DIAGRAMS.get(version.content_hash)
    if cached is None:
        cached = _DIAGRAMS[version.content_hash] = _parse_diagrams(version.files)
        if len(_DIAGRAMS) > _DIAGRAM_CACHE_SIZE:
            _DIAGRAMS.popitem(last=False)
    _DIAGRAMS.move_to_end(version.content_hash)
    return cached


def diagram_file(version: ProcessVersion, process_id: str) -> tuple[str, str]:
    """(file name, BPMN XML) of the file that defines ``process_id`` in this version."""
    diagram = diagrams_of(version).get(process_id)
    if diagram is None:
        raise NotFound(f"process '{process_id}' is not part of version {version.number}")
    return diagram.file, version.files[diagram.file]


def _parse_diagrams(files: dict[str, str]) -> dict[str, ProcessDiagram]:
    diagrams = {}
    for name, text in sorted(files.items()):
        if not name.endswith(".bpmn"):
            continue
        root = etree.fromstring(text.encode("utf-8"), _PARSER)
        for process in root.iter(f"{{{BPMN_NS}}}process"):
            diagram = _parse_process(process, name)
            diagrams[diagram.process_id] = diagram
    return diagrams


def _parse_process(process, file_name: str) -> ProcessDiagram:
    """A process and everything nested in it (an embedded sub-process draws on the same
    diagram)."""
    flows, nodes = {}, []
    incoming: dict[str, list[str]] = {}
    outgoing: dict[str, list[str]] = {}
    for element in process.iter():
        if not isinstance(element.tag, str) or not element.get("id"):
            continue
        tag = etree.QName(element.tag).localname
        if tag == "sequenceFlow":
            flow = DiagramFlow(
                element.get("id"),
                element.get("sourceRef"),
                element.get("targetRef"),
                element.get("name"),
            )
            flows[flow.id] = flow
            outgoing.setdefault(flow.source, []).append(flow.id)
            incoming.setdefault(flow.target, []).append(flow.id)
        elif tag in FLOW_NODES:
            nodes.append((tag, element))
    elements = {}
    for tag, element in nodes:
        element_id = element.get("id")
        elements[element_id] = DiagramElement(
            id=element_id,
            type=tag,
            name=element.get("name"),
            incoming=tuple(incoming.get(element_id, ())),
            outgoing=tuple(outgoing.get(element_id, ())),
            attached_to=element.get("attachedToRef"),
            called_process=element.get("calledElement"),
            trigger=_trigger(element),
        )
    return ProcessDiagram(process.get("id"), process.get("name"), file_name, elements, flows)


def _trigger(element) -> str | None:
    for child in element:
        if isinstance(child.tag, str):
            name = etree.QName(child.tag).localname
            if name.endswith("EventDefinition"):
                return name.removesuffix("EventDefinition")
    return None


def _process_of_element(
    diagrams: dict[str, ProcessDiagram], element_id: str | None, preferred: str
) -> str:
    """The process that holds ``element_id`` (``preferred`` when it does, or when none does)."""
    if element_id is None or element_id in diagrams.get(preferred, _EMPTY).elements:
        return preferred
    for process_id, diagram in diagrams.items():
        if element_id in diagram.elements:
            return process_id
    return preferred


_EMPTY = ProcessDiagram("", None, "", {}, {})


# --- the path taken -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    """Where a running instance waits now: a task, a timer, an event, a called process."""

    element_id: str
    kind: str  # task, timer, event, subprocess, element
    since: datetime | None = None
    due_at: datetime | None = None
    assignee: str | None = None


@dataclass(frozen=True)
class PathEvent:
    """One trail event of an element, as the diagram's side panel lists it."""

    seq: int
    at: datetime
    actor: str
    kind: str


@dataclass(frozen=True)
class PathError:
    seq: int
    at: datetime
    element_id: str | None
    message: str


@dataclass
class ProcessPath:
    """The path an instance took through one process, ready to be drawn on its diagram.

    ``completed`` and ``flows`` count how many times each element was passed and each sequence
    flow followed (a count above one is a loop); ``sequence`` lists the elements in the order
    they were first reached, ``names`` and ``types`` say what they are; ``events`` gives the
    trail events of each element.
    """

    reference: str
    process_id: str
    name: str | None
    file: str
    completed: dict[str, int] = field(default_factory=dict)
    flows: dict[str, int] = field(default_factory=dict)
    fired_timers: dict[str, int] = field(default_factory=dict)
    cancelled: dict[str, int] = field(default_factory=dict)
    waiting: list[Waiting] = field(default_factory=list)
    errors: list[PathError] = field(default_factory=list)
    sequence: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    events: dict[str, list[PathEvent]] = field(default_factory=dict)
    calls: dict[str, str] = field(default_factory=dict)  # call activity id -> process id

    @property
    def key(self) -> str:
        return f"{self.reference}:{self.process_id}"


@dataclass(frozen=True)
class TracePath:
    """The processes an instance went through, main process first, then the called ones in
    the order it entered them, then those of the instances it is linked to (its corrective
    action)."""

    reference: str
    processes: list[ProcessPath]

    def process(self, process_id: str, reference: str | None = None) -> ProcessPath:
        for path in self.processes:
            if path.process_id == process_id and reference in (None, path.reference):
                return path
        raise KeyError(process_id)


def path_of(reference: str, uow: UnitOfWork) -> TracePath:
    """The path of an instance (and of the instances it links to), from its audit trail."""
    with uow:
        instance = load_complaint(uow, reference)
        return _trace_path(uow.session, instance)


def _trace_path(
    session: Session, instance: Instance, events: list[AuditEvent] | None = None
) -> TracePath:
    if events is None:
        events = _events(session, instance.reference)
    processes = _instance_paths(session, instance, events)
    for linked in _linked_targets(session, instance):
        processes += _instance_paths(session, linked, _events(session, linked.reference))
    return TracePath(instance.reference, processes)


def _events(session: Session, chain: str) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)
        )
    )


def _linked_targets(session: Session, instance: Instance) -> list[Instance]:
    return list(
        session.scalars(
            select(Instance)
            .join(InstanceLink, InstanceLink.target_id == Instance.id)
            .where(InstanceLink.source_id == instance.id)
            .order_by(InstanceLink.created_at, Instance.id)
        )
    )


def _instance_paths(
    session: Session, instance: Instance, events: list[AuditEvent]
) -> list[ProcessPath]:
    diagrams = diagrams_of(instance.process_version)
    paths: dict[str, ProcessPath] = {}
    gateway_flows: dict[str, Counter] = {}

    def path(process_id: str) -> ProcessPath:
        if process_id not in paths:
            diagram = diagrams.get(process_id, _EMPTY)
            paths[process_id] = ProcessPath(
                instance.reference,
                process_id,
                diagram.name,
                diagram.file,
                calls={
                    e.id: e.called_process
                    for e in diagram.elements.values()
                    if e.called_process in diagrams
                },
            )
            gateway_flows[process_id] = Counter()
        return paths[process_id]

    path(instance.process_id)
    for event in events:
        if event.element_id is None:
            continue
        process_id = _process_of_element(
            diagrams, event.element_id, event.process_id or instance.process_id
        )
        current = path(process_id)
        _note(current, event.element_id, event)
        if event.kind in PASSING_KINDS:
            current.completed[event.element_id] = current.completed.get(event.element_id, 0) + 1
        if event.kind == "timer_fired":
            fired = current.fired_timers
            fired[event.element_id] = fired.get(event.element_id, 0) + 1
        elif event.kind == "element_cancelled":
            current.cancelled[event.element_id] = current.cancelled.get(event.element_id, 0) + 1
        elif event.kind == "error":
            message = str((event.data or {}).get("message") or "")
            current.errors.append(PathError(event.seq, event.at, event.element_id, message))
        elif event.kind == "gateway_passed":
            diagram = diagrams.get(process_id, _EMPTY)
            for taken in (event.data or {}).get("flows", []):
                flow_id = taken.get("flow") or diagram.flow_between(
                    event.element_id, taken.get("target")
                )
                if flow_id:
                    gateway_flows[process_id][flow_id] += 1
    for event in events:  # errors not tied to an element belong to the main process
        if event.kind == "error" and event.element_id is None:
            message = str((event.data or {}).get("message") or "")
            paths[instance.process_id].errors.append(PathError(event.seq, event.at, None, message))
    running = instance.status == "running"
    if running:
        _add_current_waits(session, instance, diagrams, path)
    _add_fired_timer_rows(session, instance, diagrams, path)
    for process_id, current in paths.items():
        diagram = diagrams.get(process_id, _EMPTY)
        current.flows = _flows_followed(diagram, current, gateway_flows[process_id])
        for element in diagram.elements.values():
            passed = current.completed.get(element.id, 0)
            if element.trigger == "timer" and passed > current.fired_timers.get(element.id, 0):
                current.fired_timers[element.id] = passed
        if running:
            _add_token_waits(diagram, current)
        for element_id in current.sequence:
            element = diagram.elements.get(element_id)
            current.names[element_id] = (element.name if element else None) or element_id
            current.types[element_id] = element.type if element else ""
    return list(paths.values())


def _note(path: ProcessPath, element_id: str, event: AuditEvent | None) -> None:
    """Remember that the path reached ``element_id`` (through ``event`` when there is one)."""
    if element_id not in path.events:
        path.events[element_id] = []
        path.sequence.append(element_id)
    if event is not None:
        path.events[element_id].append(PathEvent(event.seq, event.at, event.actor, event.kind))


def _add_current_waits(session: Session, instance: Instance, diagrams, path) -> None:
    """Ready tasks and pending timers, from the projections the engine keeps up to date."""
    tasks = session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance.id).order_by(HumanTask.created_at)
    )
    for task in tasks:
        process_id = _process_of_element(diagrams, task.bpmn_id, task.process_id)
        current = path(process_id)
        _note(current, task.bpmn_id, None)
        current.waiting.append(
            Waiting(task.bpmn_id, "task", task.created_at, task.due_at, task.assignee)
        )
    timers = session.scalars(
        select(Timer)
        .where(Timer.instance_id == instance.id, Timer.state.in_(("pending", "firing")))
        .order_by(Timer.due_at)
    )
    for timer in timers:
        holder = timer.attached_to or timer.bpmn_id
        process_id = _process_of_element(
            diagrams, timer.bpmn_id, _process_of_element(diagrams, holder, instance.process_id)
        )
        current = path(process_id)
        if any(w.element_id == timer.bpmn_id for w in current.waiting):
            continue
        _note(current, timer.bpmn_id, None)
        current.waiting.append(Waiting(timer.bpmn_id, "timer", None, timer.due_at))


def _add_fired_timer_rows(session: Session, instance: Instance, diagrams, path) -> None:
    """Timer rows that fired: a cycle timer fires again and again without leaving its place,
    so the trail shows what it started rather than the timer itself."""
    rows = session.execute(
        select(Timer.bpmn_id, Timer.attached_to, func.count())
        .where(Timer.instance_id == instance.id, Timer.state == "fired")
        .group_by(Timer.bpmn_id, Timer.attached_to)
    )
    for bpmn_id, attached_to, count in rows:
        process_id = _process_of_element(
            diagrams,
            bpmn_id,
            _process_of_element(diagrams, attached_to, instance.process_id),
        )
        current = path(process_id)
        if count > current.fired_timers.get(bpmn_id, 0):
            current.fired_timers[bpmn_id] = count
            _note(current, bpmn_id, None)


def _flows_followed(
    diagram: ProcessDiagram, path: ProcessPath, gateway_flows: Counter
) -> dict[str, int]:
    """How many times each sequence flow was followed.

    Out of a gateway: the flows its events name. Out of any other element: each time it
    completed, its outgoing flows (the engine allows no condition there). Into an element with a
    single incoming flow: at least as many times as the element was entered, which also
    accounts for a source whose passing the trail does not show (a cycle timer), counted then
    as completed as many times.
    """
    flows = Counter(gateway_flows)
    for element in diagram.elements.values():
        passed = path.completed.get(element.id, 0)
        if passed and not element.is_gateway:
            for flow_id in element.outgoing:
                flows[flow_id] += passed
    waiting = {w.element_id for w in path.waiting}
    for element in diagram.elements.values():
        if len(element.incoming) != 1:
            continue
        flow = diagram.flows[element.incoming[0]]
        source = diagram.elements.get(flow.source)
        if source is None or source.is_gateway:
            continue
        entered = (
            path.completed.get(element.id, 0)
            + path.cancelled.get(element.id, 0)
            + (1 if element.id in waiting else 0)
        )
        if entered > flows[flow.id]:
            flows[flow.id] = entered
            if entered > path.completed.get(source.id, 0):
                path.completed[source.id] = entered
                _note(path, source.id, None)
    return {flow_id: count for flow_id, count in flows.items() if count}


_WAIT_KINDS = {
    "callActivity": "subprocess",
    "subProcess": "subprocess",
    "eventBasedGateway": "event",
    "intermediateCatchEvent": "event",
    "receiveTask": "event",
}


def _add_token_waits(diagram: ProcessDiagram, path: ProcessPath) -> None:
    """Elements holding a token: more flows followed into them than they completed. This
    finds called processes under way and events waited for (a message, an event gateway)."""
    waiting = {w.element_id for w in path.waiting}
    for element in diagram.elements.values():
        if element.id in waiting or not element.incoming:
            continue
        if element.is_gateway and element.type != "eventBasedGateway":
            continue  # a joining gateway waits for its other branches, it holds no task
        arrived = sum(path.flows.get(flow_id, 0) for flow_id in element.incoming)
        left = path.completed.get(element.id, 0) + path.cancelled.get(element.id, 0)
        if arrived <= left:
            continue
        _note(path, element.id, None)
        path.waiting.append(Waiting(element.id, _WAIT_KINDS.get(element.type, "element")))
        waiting.add(element.id)
        if element.type == "eventBasedGateway":  # it waits for whichever event comes first
            for flow_id in element.outgoing:
                target = diagram.flows[flow_id].target
                if target not in waiting:
                    _note(path, target, None)
                    path.waiting.append(Waiting(target, "event"))
                    waiting.add(target)


# --- the timeline --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    key: str
    before: Any
    after: Any
    added: bool  # the key had no value before


@dataclass(frozen=True)
class TimelineEntry:
    seq: int
    at: datetime
    actor: str
    kind: str
    process_id: str | None
    element_id: str | None
    element_name: str | None
    data: dict
    changes: list[Change]
    message: MessageView | None = None


def timeline_of(
    events: Iterable[AuditEvent], messages: Iterable[MessageView]
) -> list[TimelineEntry]:
    """Each event with the data it changed (before → after), the running record of the chain
    being the data as it stood before the event; a ``message_sent`` event carries the message
    the outbox holds for it (the n-th message of a name goes with the n-th event sending it)."""
    by_name: dict[str, list[MessageView]] = {}
    for message in messages:
        by_name.setdefault(message.name, []).append(message)
    record: dict[str, Any] = {}
    entries = []
    for event in events:
        data = event.data or {}
        if event.kind == "instance_started":
            proposed = dict(data.get("data") or {})
        else:
            proposed = {key: pair[1] for key, pair in (data.get("changes") or {}).items()}
        changes = []
        for key, after in proposed.items():
            before = record.get(key, _MISSING)
            if before is _MISSING or before != after:
                added = before is _MISSING
                changes.append(Change(key, None if added else before, after, added))
            record[key] = after
        message = None
        if event.kind == "message_sent":
            queue = by_name.get(data.get("message"), [])
            message = queue.pop(0) if queue else None
        entries.append(
            TimelineEntry(
                event.seq,
                event.at,
                event.actor,
                event.kind,
                event.process_id,
                event.element_id,
                event.element_name,
                data,
                changes,
                message,
            )
        )
    return entries


# --- the whole trace of one complaint ---------------------------------------------------------


@dataclass(frozen=True)
class ChainCheck:
    """Whether a chain verifies; where it breaks if it does not."""

    reference: str
    events: int
    head: str
    broken_at: int | None = None
    problem: str | None = None  # missing, unlinked, altered, truncated
    reason: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_at is None


@dataclass(frozen=True)
class LinkView:
    reference: str
    process_id: str
    kind: str
    direction: str  # "to" (this instance links to it) or "from"
    status: str
    stage: str | None


@dataclass(frozen=True)
class TimerRow:
    id: int
    bpmn_id: str
    name: str
    attached_to: str | None
    clock: str | None
    clock_role: str | None
    due_at: datetime
    state: str
    fired_at: datetime | None


@dataclass(frozen=True)
class ComplaintTrace:
    reference: str
    process_id: str
    version: int
    status: str
    stage: str | None
    summary: dict
    created_at: datetime
    created_by: str
    completed_at: datetime | None
    path: TracePath
    timeline: list[TimelineEntry]
    messages: list[MessageView]
    timers: list[TimerRow]
    chains: list[ChainCheck]
    links: list[LinkView]

    @property
    def chain(self) -> ChainCheck:
        return self.chains[0]


def trace_of(reference: str, uow: UnitOfWork) -> ComplaintTrace:
    """Everything the trace page shows, read in one transaction (one consistent picture)."""
    with uow:
        session = uow.session
        instance = load_complaint(uow, reference)
        events = _events(session, reference)
        messages = instance_messages(session, instance.id, reference, uow.settings)
        links = _links(session, instance)
        checks = [_chain_check(session, instance)]
        checks += [_chain_check(session, i) for i in _linked_targets(session, instance)]
        timers = session.scalars(
            select(Timer).where(Timer.instance_id == instance.id).order_by(Timer.due_at, Timer.id)
        )
        return ComplaintTrace(
            reference=instance.reference,
            process_id=instance.process_id,
            version=instance.process_version.number,
            status=instance.status,
            stage=instance.stage,
            summary=dict(instance.summary or {}),
            created_at=instance.created_at,
            created_by=instance.created_by,
            completed_at=instance.completed_at,
            path=_trace_path(session, instance, events),
            timeline=timeline_of(events, messages),
            messages=messages,
            timers=[
                TimerRow(
                    t.id,
                    t.bpmn_id,
                    t.name,
                    t.attached_to,
                    t.clock,
                    t.clock_role,
                    t.due_at,
                    t.state,
                    t.fired_at,
                )
                for t in timers
            ],
            chains=checks,
            links=links,
        )


def diagram_of(reference: str, process_id: str, uow: UnitOfWork) -> tuple[str, str]:
    """(file name, XML) of the diagram of ``process_id`` in the version the instance runs on."""
    with uow:
        instance = load_complaint(uow, reference)
        return diagram_file(instance.process_version, process_id)


def check_chain(reference: str, uow: UnitOfWork) -> ChainCheck:
    """The same check as ``doleance audit verify REF``, as the trace page states it."""
    with uow:
        return _chain_check(uow.session, load_complaint(uow, reference))


def _chain_check(session: Session, instance: Instance) -> ChainCheck:
    breaks = audit.verify(session, instance.reference)
    events = instance.audit_seq
    if not breaks:
        return ChainCheck(instance.reference, events, instance.audit_head)
    broken = breaks[0]
    return ChainCheck(
        instance.reference,
        events,
        instance.audit_head,
        broken.seq,
        broken.problem,
        broken.reason,
    )


def _links(session: Session, instance: Instance) -> list[LinkView]:
    outgoing = session.execute(
        select(InstanceLink.kind, Instance)
        .join(Instance, InstanceLink.target_id == Instance.id)
        .where(InstanceLink.source_id == instance.id)
        .order_by(InstanceLink.created_at, Instance.id)
    )
    incoming = session.execute(
        select(InstanceLink.kind, Instance)
        .join(Instance, InstanceLink.source_id == Instance.id)
        .where(InstanceLink.target_id == instance.id)
        .order_by(InstanceLink.created_at, Instance.id)
    )
    return [
        LinkView(other.reference, other.process_id, kind, direction, other.status, other.stage)
        for direction, rows in (("to", outgoing), ("from", incoming))
        for kind, other in rows
    ]


# --- search --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TraceSearch:
    """What an auditor looks for; every criterion left empty matches everything."""

    text: str | None = None  # part of the reference, or of the customer's name or e-mail
    received_from: date | None = None  # local dates, both included
    received_to: date | None = None
    stage: str | None = None
    category: str | None = None
    priority: str | None = None
    breached: bool = False  # only those whose breach timer fired (a deadline was missed)
    process_id: str | None = COMPLAINT_PROCESS


@dataclass(frozen=True)
class SearchHit:
    reference: str
    process_id: str
    status: str
    stage: str | None
    created_at: datetime
    completed_at: datetime | None
    customer_name: str | None
    category: str | None
    priority: str | None
    breached: bool


def search_instances(
    criteria: TraceSearch, uow: UnitOfWork, limit: int = 50, offset: int = 0
) -> tuple[list[SearchHit], int]:
    """One page of matching instances, newest first, and how many match in all.

    The page's rows come in one query, each with whether a deadline was breached (a correlated
    EXISTS on the timer rows, indexed by instance, computed for those rows only); newest first
    is the primary key's order, so nothing is sorted. A second query counts the matches, unless
    the first page is not full (its rows are then all the matches).
    """
    _check_range(criteria.received_from, criteria.received_to, limit=None)
    with uow:
        conditions = list(_search_conditions(criteria, ZoneInfo(uow.settings.time_zone)))
        summary = Instance.summary
        rows = uow.session.execute(
            select(
                Instance.reference,
                Instance.process_id,
                Instance.status,
                Instance.stage,
                Instance.created_at,
                Instance.completed_at,
                summary["customer_name"].as_string(),
                summary["category"].as_string(),
                summary["priority"].as_string(),
                _breached_clause(),
            )
            .where(*conditions)
            .order_by(Instance.id.desc())
            .limit(limit)
            .offset(offset)
        ).all()
        if offset == 0 and len(rows) < limit:
            total = len(rows)
        else:
            total = uow.session.scalar(
                select(func.count()).select_from(Instance).where(*conditions)
            )
        return [SearchHit(*row) for row in rows], total


@dataclass(frozen=True)
class SearchOptions:
    """The choices the search form offers, from the newest deployed version."""

    processes: list[tuple[str, str]]  # (process id, name) of the instances one can look for
    stages: list[str]  # the milestones of its diagrams
    priorities: list[str]


def search_options(uow: UnitOfWork) -> SearchOptions:
    with uow:
        version = latest_version(uow)
        if version is None:
            return SearchOptions([], [], list(DEFAULT_PRIORITY_LEVELS))
        diagrams = diagrams_of(version)
        processes = [
            (process_id, diagrams[process_id].name or process_id)
            for process_id in (COMPLAINT_PROCESS, CORRECTIVE_ACTION_PROCESS)
            if process_id in diagrams
        ]
        stages = [
            element.name
            for diagram in diagrams.values()
            for element in diagram.elements.values()
            if element.type == "intermediateThrowEvent" and not element.trigger and element.name
        ]
        levels = policy_of(version).value("priority.levels", DEFAULT_PRIORITY_LEVELS)
        return SearchOptions(processes, list(dict.fromkeys(stages)), list(levels))


def _breached_clause():
    return exists().where(
        Timer.instance_id == Instance.id,
        Timer.clock_role == "breach",
        Timer.state == "fired",
    )


def _search_conditions(criteria: TraceSearch, zone: ZoneInfo) -> Iterator:
    summary = Instance.summary
    if criteria.process_id:
        yield Instance.process_id == criteria.process_id
    if criteria.text and criteria.text.strip():
        needle = criteria.text.strip().lower()
        yield or_(
            func.lower(Instance.reference).contains(needle, autoescape=True),
            func.lower(summary["customer_name"].as_string()).contains(needle, autoescape=True),
            func.lower(summary["customer_email"].as_string()).contains(needle, autoescape=True),
        )
    if criteria.received_from:
        yield Instance.created_at >= _local_midnight(criteria.received_from, zone)
    if criteria.received_to:
        yield Instance.created_at < _local_midnight(criteria.received_to + timedelta(days=1), zone)
    if criteria.stage:
        yield Instance.stage == criteria.stage
    if criteria.category:
        yield func.lower(summary["category"].as_string()) == criteria.category.strip().lower()
    if criteria.priority:
        yield summary["priority"].as_string() == criteria.priority
    if criteria.breached:
        yield _breached_clause()


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def _check_range(start: date | None, end: date | None, limit: int | None) -> None:
    if start and end and start > end:
        raise InvalidInput(
            f"the period starts ({start.isoformat()}) after it ends ({end.isoformat()})",
            {"to": ["must be on or after the start date"]},
            code="range_reversed",
        )
    if limit is not None and start and end and (end - start).days + 1 > limit:
        raise InvalidInput(
            f"the period is longer than {limit} days; export it in several parts",
            {"to": [f"at most {limit} days after the start date"]},
            code="range_too_long",
        )


# --- exports -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrailExport:
    """A file to hand over, and the audit event that records it was handed over."""

    filename: str
    content_type: str
    content: str
    event_seq: int


def export_trail(reference: str, fmt: str, actor: str, uow: UnitOfWork) -> TrailExport:
    """A complaint's whole trail as JSON or CSV. The ``trail_exported`` event is recorded
    first, in the same transaction, so the file ends with the event saying who exported it."""
    if fmt not in TRAIL_FORMATS:
        raise InvalidInput(
            f"unknown export format '{fmt}' (use {' or '.join(TRAIL_FORMATS)})", code="format"
        )
    with uow:
        session = uow.session
        instance = load_complaint(uow, reference, lock=True)
        event = _record_export(uow, instance, fmt, actor)
        events = _events(session, reference)
        if fmt == "csv":
            content, content_type = _trail_csv(events), "text/csv; charset=utf-8"
        else:
            content = _trail_json(instance, events, _chain_check(session, instance), event)
            content_type = "application/json; charset=utf-8"
        stamp = event.at.strftime("%Y%m%d-%H%M%S")
        uow.commit()
        return TrailExport(f"{reference}-trail-{stamp}.{fmt}", content_type, content, event.seq)


def record_report(reference: str, actor: str, uow: UnitOfWork) -> int:
    """Record that ``actor`` took the printable report of a complaint; returns the event's
    seq (the report, drawn by the web interface, names it)."""
    with uow:
        instance = load_complaint(uow, reference, lock=True)
        event = _record_export(uow, instance, REPORT_FORMAT, actor)
        uow.commit()
        return event.seq


def _record_export(uow: UnitOfWork, instance: Instance, fmt: str, actor: str) -> AuditEvent:
    event = uow.record(instance, EXPORTED, actor, data={"format": fmt, "scope": "trail"})
    uow.session.flush()
    return event


def _event_dict(event: AuditEvent) -> dict:
    return {
        "seq": event.seq,
        "at": event.at.isoformat(timespec="microseconds"),
        "actor": event.actor,
        "kind": event.kind,
        "process_id": event.process_id,
        "element_id": event.element_id,
        "element_name": event.element_name,
        "data": event.data,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def _trail_json(
    instance: Instance, events: list[AuditEvent], check: ChainCheck, export: AuditEvent
) -> str:
    document = {
        "format": "doleance-audit-trail",
        "format_version": 1,
        "reference": instance.reference,
        "process_id": instance.process_id,
        "process_version": instance.process_version.number,
        "status": instance.status,
        "stage": instance.stage,
        "exported_at": export.at.isoformat(),
        "exported_by": export.actor,
        "chain": {
            "intact": check.intact,
            "broken_at": check.broken_at,
            "problem": check.problem,
            "reason": check.reason,
            "head_seq": instance.audit_seq,
            "head_hash": instance.audit_head,
            "hash": "sha256 over prev_hash + canonical JSON of "
            "[chain, seq, at, actor, kind, process_id, element_id, element_name, data]",
        },
        "events": [_event_dict(e) for e in events],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def _trail_csv(events: list[AuditEvent]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(TRAIL_COLUMNS)
    for event in events:
        row = _event_dict(event)
        row["data"] = json.dumps(event.data, ensure_ascii=False, sort_keys=True)
        writer.writerow([_cell(row[column]) for column in TRAIL_COLUMNS])
    return out.getvalue()


def _cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def export_range(start: date, end: date, actor: str, uow: UnitOfWork) -> TrailExport:
    """The regulator's review: one CSV row per complaint received from ``start`` to ``end``
    (local dates, both included), recorded as a ``trail_exported`` event on the system chain."""
    if start is None or end is None:
        raise InvalidInput("give the first and the last day of the period", code="range_missing")
    _check_range(start, end, limit=MAX_RANGE_DAYS)
    database = uow.database
    with database.unit_of_work(read_only=True) as reading:
        zone = ZoneInfo(reading.settings.time_zone)
        rows = _regulator_rows(reading.session, start, end, zone)
    clocks: dict[str, list[ClockView]] = {}
    references = [row["reference"] for row in rows]
    for first in range(0, len(references), _CLOCK_BATCH):
        batch = references[first : first + _CLOCK_BATCH]
        clocks.update(clocks_by_reference(batch, database.unit_of_work(read_only=True)))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(REGULATOR_COLUMNS)
    for row in rows:
        states = deadlines(clocks.get(row["reference"], []))
        row["deadlines_met"] = _clock_names(states, ("met",))
        row["deadlines_breached"] = _clock_names(states, ("breached",))
        row["deadlines_open"] = _clock_names(states, ("running", "due_soon"))
        writer.writerow([_cell(_csv_value(row.get(column), zone)) for column in REGULATOR_COLUMNS])
    with uow:
        event = uow.record(
            None,
            EXPORTED,
            actor,
            data={
                "format": "csv",
                "scope": "range",
                "from": start.isoformat(),
                "to": end.isoformat(),
                "complaints": len(rows),
            },
        )
        uow.commit()
    return TrailExport(
        f"complaints-{start.isoformat()}-{end.isoformat()}.csv",
        "text/csv; charset=utf-8",
        out.getvalue(),
        event.seq,
    )


def deadlines(states: Iterable[ClockView]) -> list[ClockView]:
    """The clocks that are deadlines: those with a breach timer (a reminder or a periodic
    update runs a clock too, but it cannot be missed)."""
    return [state for state in states if state.due_at is not None]


def _clock_names(states: list[ClockView], wanted: tuple[str, ...]) -> str:
    return "; ".join(c.name for c in states if c.state in wanted)


def _csv_value(value: Any, zone: ZoneInfo) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(zone).isoformat(timespec="seconds")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def _regulator_rows(session: Session, start: date, end: date, zone: ZoneInfo) -> list[dict]:
    """One dict per complaint received in the period, oldest first, read from the instance
    rows, their links and (streamed) the events of their trails that change data."""
    in_period = and_(
        Instance.process_id == COMPLAINT_PROCESS,
        Instance.created_at >= _local_midnight(start, zone),
        Instance.created_at < _local_midnight(end + timedelta(days=1), zone),
    )
    instances = session.execute(
        select(
            Instance.id,
            Instance.reference,
            Instance.created_at,
            Instance.completed_at,
            Instance.status,
            Instance.stage,
            Instance.summary,
            ProcessVersion.number,
        )
        .join(ProcessVersion, ProcessVersion.id == Instance.version_id)
        .where(in_period)
        .order_by(Instance.created_at, Instance.id)
    ).all()
    rows: dict[str, dict] = {}
    for _id, reference, created, completed, status, stage, summary, version in instances:
        summary = summary or {}
        rows[reference] = {
            "reference": reference,
            "received_at": created,
            "channel": summary.get("channel"),
            "kind": summary.get("kind"),
            "category": summary.get("category"),
            "product": summary.get("product"),
            "priority": summary.get("priority"),
            "closed_at": completed,
            "status": status,
            "stage": stage,
            "reopen_count": 0,
            "escalations": 0,
            "process_version": version,
        }
    target = aliased(Instance)
    links = session.execute(
        select(Instance.reference, target.reference)
        .join(InstanceLink, InstanceLink.source_id == Instance.id)
        .join(target, InstanceLink.target_id == target.id)
        .where(in_period)
        .order_by(InstanceLink.created_at, InstanceLink.id)
    )
    for reference, linked in links:
        found = rows[reference].get("corrective_action")
        rows[reference]["corrective_action"] = f"{found}; {linked}" if found else linked
    events = session.execute(
        select(AuditEvent.chain, AuditEvent.at, AuditEvent.kind, AuditEvent.data)
        .where(
            AuditEvent.chain.in_(select(Instance.reference).where(in_period)),
            AuditEvent.kind.in_(
                ("task_completed", "element_completed", "message_received", "escalated")
            ),
        )
        .order_by(AuditEvent.chain, AuditEvent.seq)
        .execution_options(yield_per=2000)
    )
    for chain, at, kind, data in events:
        row = rows[chain]
        if kind == "escalated":
            row["escalations"] += 1
            continue
        for key, (_before, after) in ((data or {}).get("changes") or {}).items():
            if key in (ACKNOWLEDGED_KEY, ANSWERED_KEY) and after and key not in row:
                row[key] = at
            elif key == OUTCOME_KEY:
                row["outcome"] = after
            elif key == REMEDY_KEY:
                row["remedy"] = after
            elif key == REOPEN_KEY and isinstance(after, int):
                row["reopen_count"] = after
    return list(rows.values())


def verify_audit(uow: UnitOfWork, reference: str | None = None) -> list[audit.ChainBreak]:
    """Recompute the hash chains (one complaint's, or every chain); the first break of each."""
    with uow:
        if reference is not None:
            load_complaint(uow, reference)
        return audit.verify(uow.session, reference)
