"""What a run did, told as events for the audit trail: one per task whose state changed, worded
by what its element is (a task, a timer, a message, a milestone, a gateway…)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
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

from engine.bpmn.failures import element_label
from engine.bpmn.script_engine import ScriptError
from engine.bpmn.serialization import element_properties, to_json_safe

LIVE_STATES = (TaskState.READY, TaskState.WAITING, TaskState.STARTED)


@dataclass
class EngineEvent:
    kind: str
    process_id: str
    element_id: str | None
    element_name: str | None
    data: dict = field(default_factory=dict)
    task_id: str | None = None


def describe_change(
    task: Any, previous: Any, flows: Mapping[str, Mapping[str, dict]]
) -> EngineEvent | None:
    """The event for a task whose state changed from ``previous`` (None: nothing to tell);
    ``flows`` are the version's sequence flows, by process (``"source>target"``)."""
    spec = task.task_spec
    process_id = task.workflow.spec.name

    def event(kind, **data):
        return EngineEvent(kind, process_id, spec.bpmn_id, spec.bpmn_name, data, str(task.id))

    if task.state == TaskState.READY and spec.manual:
        return event("task_ready", lane=spec.lane)
    if task.state == TaskState.CANCELLED:
        if previous in LIVE_STATES:
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
                clock=element_properties(spec).get("clock"),
                clock_role=element_properties(spec).get("clock_role"),
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
            attached_to=_bpmn_id(attached_task(task)),
            interrupting=bool(getattr(spec, "cancel_activity", True)),
            clock=element_properties(spec).get("clock"),
            clock_role=element_properties(spec).get("clock_role"),
        )
    if isinstance(definition, MessageEventDefinition) and isinstance(spec, CatchingEvent):
        return event("message_received", message=definition.name, changes=_data_changes(task))
    if isinstance(definition, MessageEventDefinition) and isinstance(spec, ThrowingEvent):
        return event("message_sent", message=definition.name)
    if isinstance(spec, IntermediateThrowEvent) and isinstance(definition, NoneEventDefinition):
        return event("milestone_reached")
    if isinstance(spec, ExclusiveGateway | InclusiveGateway) or "Gateway" in spec.description:
        return event("gateway_passed", flows=_flows_taken(task, flows))
    if isinstance(spec, SubWorkflowTask):
        return event("subprocess_completed", changes=_data_changes(task))
    if isinstance(spec, StartEvent):
        return event("process_entered")
    if isinstance(spec, EndEvent):
        return event("process_ended")
    return event("element_completed", type=spec.description, changes=_data_changes(task))


def _flows_taken(gateway_task, flows_of: Mapping[str, Mapping[str, dict]]) -> list[dict]:
    flows = flows_of.get(gateway_task.workflow.spec.name, {})
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


def caught_definitions(spec) -> list[tuple[Any, Any]]:
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


def attached_task(boundary_task):
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
            f"{element_label(spec)} left a value that cannot be stored: {exc}",
            getattr(spec, "bpmn_id", None),
            getattr(spec, "bpmn_name", None),
        ) from exc
