"""Running a workflow: one complaint's process in memory between a restore and a save, and
what a run produces (ready tasks, waiting timers, events for the trail, messages sent).

Nothing outside ``engine.bpmn`` imports SpiffWorkflow. The rest of the engine sees plain data:
:class:`HumanTaskInfo`, :class:`TimerInfo`, :class:`EngineEvent`, :class:`SentMessage` and
:class:`MigrationConflict`, and errors of diagram code as :class:`ScriptError`.
"""

from __future__ import annotations

import copy
import json
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException

from engine import clock
from engine.bpmn.events import (
    LIVE_STATES,
    EngineEvent,
    attached_task,
    caught_definitions,
    describe_change,
)
from engine.bpmn.failures import (
    describe_engine_error,
    failing_spec,
    without_reprs,
)
from engine.bpmn.library import ProcessLibrary, library_for
from engine.bpmn.migration import MigrationConflict, reached_conflicts
from engine.bpmn.script_engine import RestrictedTaskDataEnvironment, ScriptError, make_script_engine
from engine.bpmn.serialization import (
    SERIALIZER,
    connect_triggered,
    element_properties,
    form_of,
    storable_spec,
    to_json_safe,
)
from engine.config import ScriptLimits
from engine.errors import NotAllowed


class TaskNotReady(NotAllowed):
    def __init__(self, message: str, completed: bool = False):
        super().__init__(message)
        self.completed = completed


class NoWaitingReceiver(NotAllowed):
    pass


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


@dataclass(frozen=True)
class SentMessage:
    name: str
    payload: dict


_DONE_STATES = (TaskState.COMPLETED, TaskState.CANCELLED, TaskState.ERROR)


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
        SERIALIZER.migrate(dct)
        workflow = SERIALIZER.registry.restore(dct, spec=spec, subprocess_specs=subprocess_specs)
        workflow.script_engine = make_script_engine(helpers, limits)  # subprocesses use it too
        return cls(workflow, library, process_id, limits)

    def dump(self) -> bytes:
        return zlib.compress(SERIALIZER.serialize_json(self._wf).encode("utf-8"), 6)

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
                for _, d in caught_definitions(task.task_spec)
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
        conflicts = reached_conflicts(self.process_id, top)
        for subprocess_id, diff in called.items():
            name = self._wf.subprocesses[subprocess_id].spec.name
            if diff is None:
                conflicts.append(MigrationConflict(name, None, None, "started", "process_removed"))
            else:
                conflicts.extend(reached_conflicts(name, diff))
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
        connect_triggered(self._wf.tasks.values(), spec)
        for sub in self._wf.subprocesses.values():
            if sub.spec.name in dependencies:
                connect_triggered(sub.tasks.values(), dependencies[sub.spec.name])
        top, called = diff_workflow(SERIALIZER.registry, self._wf, spec, dependencies)
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
                for spec, d in caught_definitions(task.task_spec)
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
            attached = attached_task(task)
            result.append(
                TimerInfo(
                    task_id=str(task.id),
                    bpmn_id=event_spec.bpmn_id,
                    name=event_spec.bpmn_name or event_spec.bpmn_id,
                    due_at=datetime.fromtimestamp(due.timestamp(), tz=clock.now().tzinfo),
                    attached_to=attached.task_spec.bpmn_id if attached else None,
                    attached_task_id=str(attached.id) if attached else None,
                    interrupting=bool(getattr(task.task_spec, "cancel_activity", True)),
                    clock=element_properties(event_spec).get("clock"),
                    clock_role=element_properties(event_spec).get("clock_role"),
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
            if t.task_spec.bpmn_id and t.state in LIVE_STATES
        ]
        if not tasks:
            last = self._wf.last_task
            return dict(self._wf.data or (last.data if last is not None else {}))
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
            event = describe_change(task, previous, self.library.flows)
            if event is not None:
                events.append(event)
        return events


__all__ = [  # with what callers import from here, defined beside it
    "EngineEvent",
    "HumanTaskInfo",
    "MigrationConflict",
    "NoWaitingReceiver",
    "ProcessLibrary",
    "RestrictedTaskDataEnvironment",
    "RunningWorkflow",
    "ScriptError",
    "SentMessage",
    "TaskNotReady",
    "TimerInfo",
    "describe_engine_error",
    "failing_spec",
    "form_of",
    "library_for",
    "make_script_engine",
    "storable_spec",
    "to_json_safe",
    "without_reprs",
]
