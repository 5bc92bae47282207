"""The path a complaint took on its diagrams, read from its audit trail.

Each element passed is counted (a count above one is a loop), each sequence flow followed is
counted, and for a running complaint the places it waits now come from the projections the
engine keeps up to date (ready task rows, waiting timer rows), completed by the tokens the
counts show standing in front of an element (a called process under way, an awaited message).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.bpmn.diagrams import NO_DIAGRAM, ProcessDiagram, diagrams_of, process_of_element
from engine.db.models import AuditEvent, HumanTask, Instance, InstanceLink, Timer
from engine.trail.audit import chain_events
from engine.trail.events import PASSING_KINDS


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


def trace_path(
    session: Session, instance: Instance, events: list[AuditEvent] | None = None
) -> TracePath:
    if events is None:
        events = chain_events(session, instance.reference)
    processes = instance_paths(session, instance, events)
    for linked in linked_targets(session, instance):
        processes += instance_paths(session, linked, chain_events(session, linked.reference))
    return TracePath(instance.reference, processes)


def linked_targets(session: Session, instance: Instance) -> list[Instance]:
    return list(
        session.scalars(
            select(Instance)
            .join(InstanceLink, InstanceLink.target_id == Instance.id)
            .where(InstanceLink.source_id == instance.id)
            .order_by(InstanceLink.created_at, Instance.id)
        )
    )


def instance_paths(
    session: Session, instance: Instance, events: list[AuditEvent]
) -> list[ProcessPath]:
    diagrams = diagrams_of(instance.process_version)
    paths: dict[str, ProcessPath] = {}
    gateway_flows: dict[str, Counter] = {}

    def path(process_id: str) -> ProcessPath:
        if process_id not in paths:
            diagram = diagrams.get(process_id, NO_DIAGRAM)
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
        process_id = process_of_element(
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
            diagram = diagrams.get(process_id, NO_DIAGRAM)
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
        diagram = diagrams.get(process_id, NO_DIAGRAM)
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
        process_id = process_of_element(diagrams, task.bpmn_id, task.process_id)
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
        process_id = process_of_element(
            diagrams, timer.bpmn_id, process_of_element(diagrams, holder, instance.process_id)
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
        process_id = process_of_element(
            diagrams,
            bpmn_id,
            process_of_element(diagrams, attached_to, instance.process_id),
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
