"""The script engine diagrams run on: SpiffWorkflow's, with every piece of diagram code
evaluated in :mod:`engine.bpmn.sandbox` and SpiffWorkflow's timers reading our clock."""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable, Mapping
from datetime import datetime

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer

from engine import clock
from engine.bpmn import sandbox
from engine.bpmn.serialization import json_default
from engine.config import ScriptLimits
from engine.errors import ProcessError


class _ClockedDatetime(datetime):
    """SpiffWorkflow's timers call ``datetime.now(timezone.utc)``; route that to our clock."""

    @classmethod
    def now(cls, tz=None):
        current = clock.now()
        return current.astimezone(tz) if tz is not None else current.replace(tzinfo=None)


spiff_timer.datetime = _ClockedDatetime


class ScriptError(ProcessError):
    """A condition, script or timer expression in a diagram failed while running.

    Use cases turn it into a ProcessError saying what to do (``engine.runtime.run_step``);
    one that escapes them still reads as the process's failure, never as a crash."""

    def __init__(
        self, message: str, element_id: str | None = None, element_name: str | None = None
    ):
        super().__init__(message)
        self.element_id = element_id
        self.element_name = element_name


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
        return json.dumps(service(**params), default=json_default)


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
