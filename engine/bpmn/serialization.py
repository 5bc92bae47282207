"""Workflow state as stored: the state of one complaint without its spec (stored once per
version), and the JSON every value a process keeps must be."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

FORM_PROPERTY = "form"


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
        connect_triggered(restored.tasks.values(), restored.spec)


def connect_triggered(tasks, spec) -> None:
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


SERIALIZER = _build_serializer()


def json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} values cannot be stored in a complaint")


def to_json_safe(value: Any) -> Any:
    """A copy of ``value`` made only of JSON types (Decimal and dates become strings)."""
    return json.loads(json.dumps(value, default=json_default))


def element_properties(task_spec) -> dict:
    """The spiffworkflow:properties of an element (form file, clock name and role, …)."""
    return (getattr(task_spec, "extensions", None) or {}).get("properties", {}) or {}


def form_of(task_spec) -> str | None:
    """The form file a task shows (its ``form`` property), if any."""
    return element_properties(task_spec).get(FORM_PROPERTY)


def storable_spec(spec) -> dict:
    """A parsed spec (or a mapping of them) as the JSON a process version stores."""
    return SERIALIZER.registry.convert(spec)
