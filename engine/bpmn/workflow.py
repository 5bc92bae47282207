"""The SpiffWorkflow wrapper: the restricted script engine, serialization, running.

Nothing outside this module and :mod:`engine.bpmn.parsing` (which reads the diagrams this module
runs) imports SpiffWorkflow. The rest of the engine sees plain data: :class:`Problem` for
diagram errors, :class:`HumanTaskInfo`, :class:`TimerInfo`, :class:`EngineEvent` and
:class:`SentMessage` for what a run produced.
"""

from __future__ import annotations

import copy
import json
import re
import time
import traceback
import zlib
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent, ThrowingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import (
    BoundaryEvent,
    EventBasedGateway,
    IntermediateThrowEvent,
)
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.util.diff import diff_workflow, filter_tasks, migrate_workflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.specs.base import TaskSpec
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine import clock
from engine.bpmn import sandbox
from engine.config import ScriptLimits

FORM_PROPERTY = "form"


# --- one clock --------------------------------------------------------------------------


class _ClockedDatetime(datetime):
    """SpiffWorkflow's timers call ``datetime.now(timezone.utc)``; route that to our clock."""

    @classmethod
    def now(cls, tz=None):
        current = clock.now()
        return current.astimezone(tz) if tz is not None else current.replace(tzinfo=None)


spiff_timer.datetime = _ClockedDatetime


# --- errors as data ---------------------------------------------------------------------


class ScriptError(Exception):
    """A condition, script or timer expression in a diagram failed while running."""

    def __init__(
        self, message: str, element_id: str | None = None, element_name: str | None = None
    ):
        super().__init__(message)
        self.element_id = element_id
        self.element_name = element_name


class TaskNotReady(Exception):
    def __init__(self, message: str, completed: bool = False):
        super().__init__(message)
        self.completed = completed


class NoWaitingReceiver(Exception):
    pass


# --- the restricted script engine ---------------------------------------------------------


class RestrictedTaskDataEnvironment(TaskDataEnvironment):
    """Evaluates diagram code in :mod:`engine.bpmn.sandbox`: no imports, no dunders, no files, and
    limits on time and memory."""

    def __init__(self, environment_globals=None, limits: ScriptLimits | None = None):
        super().__init__(environment_globals)
        self.limits = limits or ScriptLimits()

    def evaluate(self, expression, context, external_context=None):
        return sandbox.evaluate(
            expression, context, external_context or {}, self.globals, self.limits
        )

    def execute(self, script, context, external_context=None):
        self.check_for_overwrite(context, external_context or {})
        sandbox.execute(script, context, external_context or {}, self.globals, self.limits)
        return True

    def call_service(self, context, operation_name=None, operation_params=None, **kwargs):
        service = self.globals.get(operation_name)
        if not callable(service):
            raise ScriptError(f"unknown service operation '{operation_name}'")
        params = {name: spec["value"] for name, spec in (operation_params or {}).items()}
        return json.dumps(service(**params), default=_json_default)


class _ScriptEngine(PythonScriptEngine):
    """SpiffWorkflow 3.2's ``call_service`` fails with a NameError of its own when a service
    raises; report the service's error on its task instead, like any other diagram error.
    Script errors carry the line of the script they happened on, wherever the script ran."""

    def get_error_line_number_and_content(self, script, err):
        line = getattr(err, "diagram_line", None)
        if line is None:
            frames = traceback.extract_tb(err.__traceback__)
            lines = [f.lineno for f in frames if f.filename == sandbox.DIAGRAM_FILE]
            line = lines[-1] if lines else None
        if isinstance(err, SyntaxError) and err.lineno:
            line = err.lineno
        if not line:
            return 0, ""
        source_lines = script.splitlines()
        return line, source_lines[line - 1] if line <= len(source_lines) else ""

    def call_service(self, task, **kwargs):
        try:
            return self.environment.call_service(task.data, **kwargs)
        except Exception as exc:
            name = kwargs.get("operation_name")
            raise WorkflowTaskException(
                f"service '{name}' failed", task=task, exception=exc
            ) from exc


def make_script_engine(
    helpers: Mapping[str, Callable] | None = None, limits: ScriptLimits | None = None
) -> PythonScriptEngine:
    return _ScriptEngine(environment=RestrictedTaskDataEnvironment(dict(helpers or {}), limits))


# --- serialization -----------------------------------------------------------------------


class _StateOnlyWorkflowConverter(BpmnWorkflowConverter):
    """Serializes a workflow without its spec; the spec is stored once per process version."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        _reconnect_triggered(workflow)
        return workflow


def _reconnect_triggered(workflow) -> None:
    """Redo on the specs what triggering event sub-processes did to them.

    ``BpmnStartTask.trigger_wf`` connects a triggered event sub-process to its process's start
    and end, which the sub-process's task needs to finish. The standard serializer keeps that in
    the spec it stores with every instance; we store the spec once per version, so we redo it
    for every event sub-process task the restored workflow holds (adding one is all that
    triggering does to the task tree).
    """
    for restored in [workflow, *workflow.subprocesses.values()]:
        _connect_triggered(restored.tasks.values(), restored.spec)


def _connect_triggered(tasks, spec) -> None:
    """Connect to ``spec``'s start and end each event sub-process ``tasks`` show triggered."""
    start = spec.start
    triggered = set(getattr(start, "trigger_specs", None) or ())
    if not triggered:
        return
    for name in triggered & {task.task_spec.name for task in tasks}:
        handler = spec.task_specs[name]
        if start not in handler.inputs:
            start.connect(handler)
            handler.connect(spec.end)


def _build_serializer() -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = _StateOnlyWorkflowConverter
    registry = BpmnWorkflowSerializer.configure(config)
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda d: Decimal(d["value"]))
    registry.register(
        date, lambda v: {"value": v.isoformat()}, lambda d: date.fromisoformat(d["value"])
    )
    return BpmnWorkflowSerializer(registry)


_SERIALIZER = _build_serializer()


def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} values cannot be stored in a complaint")


def to_json_safe(value):
    """A copy of ``value`` made only of JSON types (Decimal and dates become strings)."""
    return json.loads(json.dumps(value, default=_json_default))


def _properties(task_spec) -> dict:
    """The spiffworkflow:properties of an element (form file, clock name and role, …)."""
    return (getattr(task_spec, "extensions", None) or {}).get("properties", {}) or {}


def form_of(task_spec) -> str | None:
    """The form file a task shows (its ``form`` property), if any."""
    return _properties(task_spec).get(FORM_PROPERTY)


def storable_spec(spec) -> dict:
    """A parsed spec (or a mapping of them) as the JSON a process version stores."""
    return _SERIALIZER.registry.convert(spec)


# --- a deployed version, ready to run ------------------------------------------------------


class ProcessLibrary:
    """The restored specs of one process version; restored once, shared by every instance.

    SpiffWorkflow changes a process spec while a workflow runs on it when an event sub-process
    is triggered (the sub-process is connected to the process's start and end, and stays so).
    Specs holding event sub-processes are therefore not shared: each workflow gets its own copy
    (:meth:`specs_for_instance`), so that one complaint's triggers never change another's path.
    """

    def __init__(self, specs: Mapping[str, dict], flows: Mapping[str, Mapping[str, dict]]):
        self._stored = specs
        self.flows = flows
        self._restored: dict[str, tuple] = {}
        self._changing: dict[str, frozenset[str]] = {}  # specs a run may change, by process

    def process_ids(self) -> list[str]:
        return list(self._stored)

    def spec(self, process_id: str):
        """The shared (spec, subprocess specs) of a process, for reading only."""
        if process_id not in self._restored:
            if process_id not in self._stored:
                raise KeyError(process_id)
            entry = self._stored[process_id]
            spec = _restored_copy(entry["spec"])
            subprocess_specs = _restored_copy(entry["subprocess_specs"])
            self._restored[process_id] = (spec, subprocess_specs)
            self._changing[process_id] = frozenset(
                candidate.name
                for candidate in [spec, *subprocess_specs.values()]
                if _changes_while_running(candidate)
            )
        return self._restored[process_id]

    def specs_for_instance(self, process_id: str):
        """The (spec, subprocess specs) one workflow runs on: shared, except those a run changes."""
        spec, subprocess_specs = self.spec(process_id)
        changing = self._changing[process_id]
        if not changing:
            return spec, subprocess_specs
        entry = self._stored[process_id]
        if spec.name in changing:
            spec = _restored_copy(entry["spec"])
        subprocess_specs = {
            name: _restored_copy(entry["subprocess_specs"][name]) if name in changing else sub
            for name, sub in subprocess_specs.items()
        }
        return spec, subprocess_specs


def _restored_copy(stored: dict):
    return _SERIALIZER.registry.restore(json.loads(json.dumps(stored)))


def _changes_while_running(spec) -> bool:
    """Whether running a workflow changes this process spec (it holds event sub-processes)."""
    return bool(getattr(spec.start, "trigger_specs", None))


_LIBRARIES: OrderedDict[str, ProcessLibrary] = OrderedDict()
_LIBRARY_CACHE_SIZE = 32


def library_for(content_hash: str, load: Callable[[], tuple[Mapping, Mapping]]) -> ProcessLibrary:
    """The cached library of a version; ``load`` gives (specs, flows) on a cache miss only.

    Versions never change, so their content hash is a safe key.
    """
    library = _LIBRARIES.get(content_hash)
    if library is None:
        library = _LIBRARIES[content_hash] = ProcessLibrary(*load())
        if len(_LIBRARIES) > _LIBRARY_CACHE_SIZE:
            _LIBRARIES.popitem(last=False)
    _LIBRARIES.move_to_end(content_hash)
    return library


# --- what a run produces --------------------------------------------------------------------


@dataclass(frozen=True)
class HumanTaskInfo:
    id: str
    process_id: str
    bpmn_id: str
    name: str
    lane: str | None
    form: str | None
    documentation: str | None
    instructions: str | None
    data: dict


@dataclass(frozen=True)
class TimerInfo:
    task_id: str
    bpmn_id: str
    name: str
    due_at: datetime
    attached_to: str | None
    attached_task_id: str | None
    interrupting: bool
    clock: str | None = None
    clock_role: str | None = None


@dataclass
class EngineEvent:
    kind: str
    process_id: str
    element_id: str | None
    element_name: str | None
    data: dict = field(default_factory=dict)
    task_id: str | None = None


@dataclass(frozen=True)
class SentMessage:
    name: str
    payload: dict


@dataclass(frozen=True)
class MigrationConflict:
    """One reason a running workflow cannot move to another version.

    ``change`` is ``changed``, ``removed`` or ``replaced`` (an element the workflow has
    reached, in ``state``; a replaced one was matched to another element, named in
    ``attributes``), or ``process_removed`` (the process is missing from the version).
    """

    process_id: str
    element_id: str | None
    element_name: str | None
    state: str  # completed, started, ready, waiting, error; "" for a whole process
    change: str
    attributes: tuple[str, ...] = ()


_DONE_STATES = (TaskState.COMPLETED, TaskState.CANCELLED, TaskState.ERROR)
_LIVE_STATES = (TaskState.READY, TaskState.WAITING, TaskState.STARTED)
#: Tasks in these states block a migration when their element changed or was removed.
_REACHED = (
    TaskState.COMPLETED | TaskState.STARTED | TaskState.READY | TaskState.WAITING | TaskState.ERROR
)


class RunningWorkflow:
    """One process instance in memory, between a restore and a save."""

    def __init__(
        self,
        workflow: BpmnWorkflow,
        library: ProcessLibrary,
        process_id: str,
        limits: ScriptLimits | None = None,
    ):
        self._wf = workflow
        self.library = library
        self.process_id = process_id
        self.limits = limits or ScriptLimits()
        self._states = self._snapshot()

    # life cycle

    @classmethod
    def start(
        cls,
        library: ProcessLibrary,
        process_id: str,
        data: Mapping[str, Any],
        helpers: Mapping[str, Callable] | None = None,
        limits: ScriptLimits | None = None,
    ) -> RunningWorkflow:
        """A new workflow; ``limits`` bound each piece of its diagram code."""
        spec, subprocess_specs = library.specs_for_instance(process_id)
        engine = make_script_engine(helpers, limits)
        workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=engine)
        running = cls(workflow, library, process_id, limits)
        workflow.get_next_task(state=TaskState.READY).data.update(dict(data))
        return running

    @classmethod
    def restore(
        cls,
        library: ProcessLibrary,
        process_id: str,
        state: bytes,
        helpers: Mapping[str, Callable] | None = None,
        limits: ScriptLimits | None = None,
    ) -> RunningWorkflow:
        spec, subprocess_specs = library.specs_for_instance(process_id)
        dct = json.loads(zlib.decompress(state))
        _SERIALIZER.migrate(dct)
        workflow = _SERIALIZER.registry.restore(dct, spec=spec, subprocess_specs=subprocess_specs)
        workflow.script_engine = make_script_engine(helpers, limits)  # subprocesses use it too
        return cls(workflow, library, process_id, limits)

    def dump(self) -> bytes:
        return zlib.compress(_SERIALIZER.serialize_json(self._wf).encode("utf-8"), 6)

    @property
    def completed(self) -> bool:
        return self._wf.completed

    # actions

    def run(self) -> list[EngineEvent]:
        """Run engine steps until the workflow waits for a person, a message or a timer."""
        self._guarded(self._wf.do_engine_steps)
        return self._events_since_last_look()

    def complete_task(self, task_id: str, data: Mapping[str, Any]) -> list[EngineEvent]:
        task = self._human_task(task_id)
        task.data.update(dict(data))
        self._guarded(task.run)
        return self.run()

    def fire_due_timers(self) -> list[EngineEvent]:
        self._guarded(self._wf.refresh_timers)
        self._guarded(self._wf.do_engine_steps)
        return self.run()

    def deliver_message(self, name: str, payload: Mapping[str, Any]) -> list[EngineEvent]:
        for task in self._wf.get_tasks(state=TaskState.WAITING, spec_class=CatchingEvent):
            matching = [
                d
                for _, d in _caught_definitions(task.task_spec)
                if isinstance(d, MessageEventDefinition) and d.name == name
            ]
            if matching:
                definition = matching[0]
                break
        else:
            raise NoWaitingReceiver(f"this complaint is not waiting for the message '{name}'")
        payload = dict(payload)

        def send():
            correlations = definition.calculate_correlations(
                self._wf.script_engine, definition.correlation_properties, payload
            )
            self._wf.send_event(BpmnEvent(definition, payload, correlations))

        self._guarded(send)
        return self.run()

    def _guarded(self, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except SpiffWorkflowException as exc:
            spec = failing_spec(exc)
            raise ScriptError(
                describe_engine_error(exc, spec),
                getattr(spec, "bpmn_id", None),
                getattr(spec, "bpmn_name", None),
            ) from exc

    def _human_task(self, task_id: str):
        try:
            task = self._wf.get_task_from_id(UUID(str(task_id)))
        except (ValueError, TaskNotFoundException) as exc:
            raise TaskNotReady(f"task {task_id} does not belong to this complaint") from exc
        if not task.task_spec.manual:
            raise TaskNotReady(f"task {task_id} is not a task for a person")
        if task.state != TaskState.READY:
            done = task.state == TaskState.COMPLETED
            raise TaskNotReady(
                f"task '{task.task_spec.bpmn_name}' is {TaskState.get_name(task.state).lower()}",
                completed=done,
            )
        return task

    # moving to another version

    def migration_conflicts(self, target: ProcessLibrary) -> list[MigrationConflict]:
        """What stops this workflow from moving to the ``target`` version (empty: it can move).

        SpiffWorkflow's diff aligns the tasks with the target's elements; a task the workflow
        has reached (completed, running, ready, waiting or failed) whose element changed or
        disappeared blocks the move, and so does a running call whose process disappeared.
        Elements not reached yet may change freely.
        """
        try:
            top, called, _ = self._diff(target)
        except KeyError:
            return [MigrationConflict(self.process_id, None, None, "", "process_removed")]
        conflicts = _reached_conflicts(self.process_id, top)
        for subprocess_id, diff in called.items():
            name = self._wf.subprocesses[subprocess_id].spec.name
            if diff is None:
                conflicts.append(MigrationConflict(name, None, None, "started", "process_removed"))
            else:
                conflicts.extend(_reached_conflicts(name, diff))
        return list(dict.fromkeys(conflicts))

    def migrate(self, target: ProcessLibrary, helpers: Mapping[str, Callable] | None = None):
        """Move this workflow onto the ``target`` version's specs (check the conflicts first).

        Ready and waiting tasks are re-predicted from the new diagrams, as SpiffWorkflow's
        ``migrate_workflow`` does; timers already waiting keep their due time, so a migration
        never moves a running deadline. ``helpers`` are the target version's script helpers.
        """
        top, called, (spec, dependencies) = self._diff(target)
        waiting = {
            task.id: copy.deepcopy(task.internal_data)
            for task in self._wf.get_tasks(state=TaskState.ANY_MASK)
            if task.state == TaskState.WAITING
        }
        self._wf.script_engine = make_script_engine(helpers, self.limits)

        def move():
            migrate_workflow(top, self._wf, spec)
            for subprocess_id, sub in self._wf.subprocesses.items():
                migrate_workflow(called[subprocess_id], sub, dependencies[sub.spec.name])
            self._wf.subprocess_specs = dependencies

        self._guarded(move)
        for task in self._wf.get_tasks(state=TaskState.ANY_MASK):
            if task.state == TaskState.WAITING and task.id in waiting:
                task.internal_data = waiting[task.id]
        self.library = target

    def _diff(self, target: ProcessLibrary):
        """SpiffWorkflow's diff of this workflow against the ``target`` version's specs, and
        those specs, with this workflow's event sub-process triggers already made on them."""
        spec, dependencies = target.specs_for_instance(self.process_id)
        _connect_triggered(self._wf.tasks.values(), spec)
        for sub in self._wf.subprocesses.values():
            if sub.spec.name in dependencies:
                _connect_triggered(sub.tasks.values(), dependencies[sub.spec.name])
        top, called = diff_workflow(_SERIALIZER.registry, self._wf, spec, dependencies)
        return top, called, (spec, dependencies)

    # projections

    def human_tasks(self) -> list[HumanTaskInfo]:
        result = []
        for task in self._wf.get_tasks(state=TaskState.READY, manual=True):
            spec = task.task_spec
            result.append(
                HumanTaskInfo(
                    id=str(task.id),
                    process_id=task.workflow.spec.name,
                    bpmn_id=spec.bpmn_id,
                    name=spec.bpmn_name or spec.bpmn_id,
                    lane=spec.lane,
                    form=form_of(spec),
                    documentation=spec.documentation,
                    instructions=(spec.extensions or {}).get("instructionsForEndUser"),
                    data=dict(task.data),
                )
            )
        return result

    def task_data(self, task_id: str) -> dict:
        return dict(self._human_task(task_id).data)

    def waiting_timers(self) -> list[TimerInfo]:
        result = []
        for task in self._wf.get_tasks(state=TaskState.WAITING, spec_class=CatchingEvent):
            timers = [
                (spec, d)
                for spec, d in _caught_definitions(task.task_spec)
                if isinstance(d, TimerEventDefinition)
            ]
            if not timers:
                continue
            event_spec, definition = timers[0]  # an event-based gateway races one timer
            value = task.internal_data.get("event_value")
            if isinstance(definition, CycleTimerEventDefinition):
                value = value.get("next") if isinstance(value, dict) else None
            if not value:
                continue
            due = TimerEventDefinition.get_datetime(value)
            if due.tzinfo is None:
                raise ScriptError(
                    f"timer '{task.task_spec.bpmn_id}' gave a date without a "
                    "time zone; timer expressions must return UTC instants"
                )
            attached = _attached_task(task)
            result.append(
                TimerInfo(
                    task_id=str(task.id),
                    bpmn_id=event_spec.bpmn_id,
                    name=event_spec.bpmn_name or event_spec.bpmn_id,
                    due_at=datetime.fromtimestamp(due.timestamp(), tz=clock.now().tzinfo),
                    attached_to=attached.task_spec.bpmn_id if attached else None,
                    attached_task_id=str(attached.id) if attached else None,
                    interrupting=bool(getattr(task.task_spec, "cancel_activity", True)),
                    clock=_properties(event_spec).get("clock"),
                    clock_role=_properties(event_spec).get("clock_role"),
                )
            )
        return result

    def enclosing_task_ids(self, task_id: str) -> list[str]:
        """The task itself and the call activities around it, innermost first."""
        ids = []
        task = self._wf.get_task_from_id(UUID(task_id))
        while task is not None:
            ids.append(str(task.id))
            parent_id = getattr(task.workflow, "parent_task_id", None)
            task = self._wf.get_task_from_id(parent_id) if parent_id else None
        return ids

    def sent_messages(self) -> list[SentMessage]:
        return [
            SentMessage(event.event_definition.name, to_json_safe(event.payload or {}))
            for event in self._wf.get_events()
            if isinstance(event.event_definition, MessageEventDefinition)
        ]

    def current_data(self) -> dict:
        """The freshest business data: what the live (or, when finished, last) tasks hold."""
        tasks = [
            t
            for t in self._wf.get_tasks(state=TaskState.ANY_MASK)
            if t.task_spec.bpmn_id and t.state in _LIVE_STATES
        ]
        if not tasks:
            return dict(self._wf.data or self._wf.last_task.data if self._wf.last_task else {})
        merged: dict = {}
        for task in sorted(tasks, key=lambda t: t.last_state_change):
            merged.update(task.data)
        return merged

    # audit: what changed since the last look

    def _snapshot(self) -> tuple[float, dict]:
        """When we last looked, and the states of the tasks that were live then."""
        live = self._wf.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED)
        return time.time(), {t.id: t.state for t in live}

    def _events_since_last_look(self) -> list[EngineEvent]:
        """Audit events for every task whose state changed since the last look, in order."""
        (looked_at, live_before), changed = self._states, []
        for order, task in enumerate(self._wf.get_tasks(state=TaskState.ANY_MASK)):
            if task.last_state_change < looked_at or task.task_spec.bpmn_id is None:
                continue
            previous = live_before.get(task.id)
            if task.state != previous:
                changed.append((task.last_state_change, order, task, previous))
        self._states = self._snapshot()
        events = []
        for _, _, task, previous in sorted(changed, key=lambda item: item[:2]):
            event = self._describe(task, previous)
            if event is not None:
                events.append(event)
        return events

    def _describe(self, task, previous) -> EngineEvent | None:
        spec = task.task_spec
        process_id = task.workflow.spec.name

        def event(kind, **data):
            return EngineEvent(kind, process_id, spec.bpmn_id, spec.bpmn_name, data, str(task.id))

        if task.state == TaskState.READY and spec.manual:
            return event("task_ready", lane=spec.lane)
        if task.state == TaskState.CANCELLED:
            if previous in _LIVE_STATES:
                return event("element_cancelled")
            return None
        if task.state == TaskState.ERROR:
            return event("error")
        if task.state != TaskState.COMPLETED:
            return None
        definition = getattr(spec, "event_definition", None)
        gateway = task.parent.task_spec if task.parent is not None else None
        if isinstance(gateway, EventBasedGateway) and spec in gateway.outputs:
            # the gateway holds the events of the catch events that follow it
            definition = gateway.event_definition.event_definitions[gateway.outputs.index(spec)]
            if isinstance(definition, TimerEventDefinition):
                return event(
                    "timer_fired",
                    attached_to=None,
                    interrupting=True,
                    clock=_properties(spec).get("clock"),
                    clock_role=_properties(spec).get("clock_role"),
                )
            if isinstance(definition, MessageEventDefinition):
                return event(
                    "message_received",
                    message=definition.name,
                    changes=_data_changes(task.parent),
                )
        if spec.manual:
            return event("task_completed", changes=_data_changes(task))
        if isinstance(definition, TimerEventDefinition):
            return event(
                "timer_fired",
                attached_to=_bpmn_id(_attached_task(task)),
                interrupting=bool(getattr(spec, "cancel_activity", True)),
                clock=_properties(spec).get("clock"),
                clock_role=_properties(spec).get("clock_role"),
            )
        if isinstance(definition, MessageEventDefinition) and isinstance(spec, CatchingEvent):
            return event("message_received", message=definition.name, changes=_data_changes(task))
        if isinstance(definition, MessageEventDefinition) and isinstance(spec, ThrowingEvent):
            return event("message_sent", message=definition.name)
        if isinstance(spec, IntermediateThrowEvent) and isinstance(definition, NoneEventDefinition):
            return event("milestone_reached")
        if isinstance(spec, ExclusiveGateway | InclusiveGateway) or "Gateway" in spec.description:
            return event("gateway_passed", flows=self._flows_taken(task))
        if isinstance(spec, SubWorkflowTask):
            return event("subprocess_completed", changes=_data_changes(task))
        if isinstance(spec, StartEvent):
            return event("process_entered")
        if isinstance(spec, EndEvent):
            return event("process_ended")
        return event("element_completed", type=spec.description, changes=_data_changes(task))

    def _flows_taken(self, gateway_task) -> list[dict]:
        flows = self.library.flows.get(gateway_task.workflow.spec.name, {})
        taken = []
        for child in gateway_task.children:
            if child.state in (TaskState.CANCELLED, TaskState.MAYBE, TaskState.LIKELY):
                continue
            target = _visible(child)
            if target is None:
                continue
            flow = flows.get(f"{gateway_task.task_spec.bpmn_id}>{target.task_spec.bpmn_id}")
            taken.append(
                {
                    "flow": flow["id"] if flow else None,
                    "name": flow["name"] if flow else None,
                    "target": target.task_spec.bpmn_id,
                }
            )
        return taken


def _caught_definitions(spec) -> list[tuple[Any, Any]]:
    """(catch event spec, event definition) pairs a waiting catching task waits for.

    An event-based gateway holds the definitions of the catch events after it (SpiffWorkflow
    moves them there), one per outgoing flow, in the order of its outputs.
    """
    definition = spec.event_definition
    if isinstance(spec, EventBasedGateway) and isinstance(definition, MultipleEventDefinition):
        return list(zip(spec.outputs, definition.event_definitions, strict=False))
    return [(spec, definition)]


def _visible(task):
    """The first task at or below ``task`` that is a real diagram element."""
    queue = [task]
    while queue:
        current = queue.pop(0)
        if current.task_spec.bpmn_id is not None and not isinstance(
            current.task_spec, BoundaryEvent
        ):
            return current
        queue.extend(current.children)
    return None


def _attached_task(boundary_task):
    if not isinstance(boundary_task.task_spec, BoundaryEvent) or boundary_task.parent is None:
        return None
    for sibling in boundary_task.parent.children:
        if not isinstance(sibling.task_spec, BoundaryEvent) and sibling.task_spec.bpmn_id:
            return sibling
    return None


def _bpmn_id(task) -> str | None:
    return task.task_spec.bpmn_id if task is not None else None


def _data_changes(task) -> dict:
    """Keys whose value this task set or changed, as {key: [before, after]}."""
    before = task.parent.data if task.parent is not None else {}
    changes = {}
    for key, value in task.data.items():
        if key not in before or before[key] != value:
            changes[key] = [before.get(key), value]
    try:
        return to_json_safe(changes)
    except TypeError as exc:  # a decision table or message left a value scripts cannot
        spec = task.task_spec
        raise ScriptError(
            f"{_element_label(spec)} left a value that cannot be stored: {exc}",
            getattr(spec, "bpmn_id", None),
            getattr(spec, "bpmn_name", None),
        ) from exc


def failing_spec(exc: SpiffWorkflowException):
    """The task spec an engine error is about."""
    task = getattr(exc, "task", None)
    if task is not None:
        return task.task_spec
    spec = getattr(exc, "task_spec", None)
    if isinstance(spec, TaskSpec):
        return spec
    # SpiffWorkflow at times passes (spec, message) the wrong way round, which leaves the
    # spec's repr as the message: the spec is then the one whose method raised
    for frame, _ in reversed(list(traceback.walk_tb(exc.__traceback__))):
        candidate = frame.f_locals.get("self")
        if isinstance(candidate, TaskSpec):
            return candidate
    return None


def _element_label(spec) -> str:
    """How a message names a task spec: the element's name, else its process's."""
    if spec is None:
        return "a diagram element"
    if getattr(spec, "bpmn_id", None):
        return f"'{spec.bpmn_name or spec.bpmn_id}'"
    return f"'{_owner_id(spec) or spec._wf_spec.name}'"


_OBJECT_REPR = re.compile(r"<([\w.]+)( object)?([^<>]*?) at 0x[0-9a-fA-F]+>")


def without_reprs(text: str) -> str:
    """``text`` with each ``<module.Class object at 0x…>`` said as ``a Class``."""

    def readable(match: re.Match) -> str:
        name = match.group(1).rsplit(".", 1)[-1]
        return f"a {name}" if match.group(2) else f"{name}{match.group(3)}"

    return _OBJECT_REPR.sub(readable, text)


def _cause_of(exc: SpiffWorkflowException) -> BaseException | None:
    """The exception a SpiffWorkflow error wraps (it keeps only its type's name)."""
    if exc.__cause__ is not None:
        return exc.__cause__
    context = exc.__context__
    if context is not None and getattr(exc, "error_type", None) == type(context).__name__:
        return context
    return None


def describe_engine_error(exc: SpiffWorkflowException, spec) -> str:
    """One line naming the element and the cause: never an object's repr, never a traceback."""
    where = _element_label(spec)
    inner = _cause_of(exc)
    line = f" (line {exc.line_number})" if getattr(exc, "line_number", None) else ""
    if isinstance(inner, sandbox.ScriptStopped):
        return f"{where} {inner}"
    message = getattr(exc, "task_spec", None)
    if not isinstance(message, str):  # see failing_spec: the message went into task_spec
        message = str(exc.args[0]) if exc.args else ""
    if inner is not None and message.startswith(f"{type(inner).__name__}:"):
        message = ""  # SpiffWorkflow's "Type:text" of a script error repeats the cause
    cause = f"{type(inner).__name__}: {inner}" if inner is not None else ""
    if isinstance(inner, sandbox.UnstorableValue):
        cause = str(inner)
    parts = [part.strip().rstrip(".") for part in [message, cause, *exc.notes]]
    return without_reprs(f"{where} failed{line}: " + ". ".join(part for part in parts if part))


def _reached_conflicts(process_id: str, diff) -> list[MigrationConflict]:
    """The reached tasks of one workflow diff whose element changed or was removed."""
    removed = {task.id for task in diff.removed}
    conflicts = []
    for task in filter_tasks(diff.changed + diff.removed, state=_REACHED):
        spec = task.task_spec
        new_spec = None if task.id in removed else diff.alignment.get(task)
        if new_spec is None:
            change, attributes = "removed", ()
        elif new_spec.name != spec.name:  # matched by its place in the flow, not by its id
            change, attributes = "replaced", (new_spec.bpmn_id or new_spec.name,)
        else:
            change, attributes = "changed", _changed_attributes(spec, new_spec)
        conflicts.append(
            MigrationConflict(
                process_id,
                spec.bpmn_id or _owner_id(spec),
                spec.bpmn_name if spec.bpmn_id else None,
                TaskState.get_name(task.state).lower(),
                change,
                attributes,
            )
        )
    return conflicts


def _changed_attributes(old_spec, new_spec) -> tuple[str, ...]:
    old = _SERIALIZER.registry.convert(old_spec)
    new = _SERIALIZER.registry.convert(new_spec)
    return tuple(sorted(key for key in old.keys() | new.keys() if old.get(key) != new.get(key)))


def _owner_id(spec) -> str | None:
    """The diagram element an internal spec belongs to (``assess.BoundaryEventSplit``)."""
    owner = spec.name.split(".", 1)[0]
    return owner if owner in spec._wf_spec.task_specs else None
