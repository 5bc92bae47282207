"""What is wrong in a process file, as a process owner reads it: :class:`Problem`.

A problem found by the engine's own checks carries a ``code`` (a key of :data:`MESSAGES`) and
the ``params`` its text is built from, so that a screen can word it in the reader's language;
its ``message`` is the English text the command line prints. Problems worded elsewhere (forms,
policy, message templates) have no code: their ``message`` is all there is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: English templates of the problems the engine words itself, by code; placeholders are
#: filled with :meth:`str.format`. A UI supplies its own templates with the same placeholders.
MESSAGES: dict[str, str] = {
    # files
    "no_such_file": "no such file",
    "unreadable": "cannot be read: {reason}",
    "unknown_kind": "unknown kind of file; expected .bpmn, .dmn, .json or .toml",
    "no_diagram": "no BPMN file to deploy",
    "not_xml": "not well-formed XML: {detail}",
    "not_bpmn_file": (
        "not a BPMN file: the root element is {found}, expected <definitions> "
        "in the BPMN 2.0 namespace ({namespace})"
    ),
    "not_dmn_file": (
        "not a DMN file: the root element is {found}, expected <definitions> "
        "in the DMN 1.3 namespace ({namespace})"
    ),
    "dmn_version": "DMN {version} is not supported; save the file as DMN 1.3",
    "bpmn_schema": "not valid BPMN: {detail}",
    "duplicate_id": "the id '{id}' is used by another element of the file; give each its own",
    "dmn_schema": "not valid DMN: {detail}",
    # diagrams
    "not_executable": (
        'no process in this file is executable; set isExecutable="true" on the one to run'
    ),
    "no_start_event": "the process has no start event; add one where the work begins",
    "flow_source_missing": "sequence flow starts at '{ref}', which does not exist",
    "flow_target_missing": "sequence flow leads to '{ref}', which does not exist",
    "complex_gateway": (
        "'{tag}' is not supported by the engine; use an exclusive, inclusive or parallel "
        "gateway instead"
    ),
    "ad_hoc_subprocess": (
        "'{tag}' is not supported by the engine; use a sub-process whose gateways say "
        "which tasks to do"
    ),
    "kind_unsupported": (
        "<{tag}> is not supported by the engine; replace it with an element the engine runs"
    ),
    "boundary_without_event": (
        "the boundary event waits for nothing; give it a timer, a message or an error, or remove it"
    ),
    "flow_without_condition": (
        "this flow leaves a gateway without a condition and is not its default flow; "
        "give it a condition or make it the default flow"
    ),
    "several_outgoing_flows": (
        "a task has several outgoing flows; put an exclusive or parallel "
        "gateway after it to say which path to take"
    ),
    "timer_without_expression": (
        "the timer has no valid expression (give a date, a duration or a cycle)"
    ),
    "service_without_operator": (
        "the service task names no operation; choose one in its properties "
        "(spiffworkflow:serviceTaskOperator)"
    ),
    "duplicate_process": "the process id '{process}' is defined twice; give each process its own",
    "call_without_process": (
        "the call activity names no process to call; set the process it calls (calledElement)"
    ),
    "call_missing_process": (
        "calls the process '{process}', which none of the files defines; "
        "check the name or validate it together with the file that defines it"
    ),
    "data_store": (
        "the data store '{name}' cannot be used: the engine has no data stores; keep the "
        "data in the complaint (a form or a script) and remove the data store"
    ),
    "data_reference": (
        "the data association refers to '{ref}', which is no data object of this process; "
        "connect it to a data object or remove it"
    ),
    "decision_not_named": (
        "the business rule task names no decision; set the decision it calls "
        "(spiffworkflow:calledDecisionId)"
    ),
    "decision_foreign_attribute": (
        "the decision is named in {attribute}, which this engine does not read; name it in "
        "spiffworkflow:calledDecisionId instead (the studio's properties panel sets it)"
    ),
    "decision_missing": (
        "calls the decision '{decision}', which none of the .dmn files defines; check the "
        "decision id or validate the diagram together with its .dmn file"
    ),
    "form_missing": "uses the form '{form}', which is not among the form files",
    "engine_refused": "{detail}",
    # diagram code
    "timer_bare_iso": (
        "the timer '{code}' is a bare ISO value, but timer expressions are Python: "
        'write "{code}" (with quotes) or call deadline(...)'
    ),
    "code_invalid": "the {kind} '{code}' is not valid: {reason}",
    "timer_invalid": (
        "the timer '{code}' is not valid: {reason} "
        '(timer expressions are Python: quote ISO values, e.g. "P10D")'
    ),
    "code_import": (
        "the {kind} '{code}' imports a module, which diagram code cannot do; "
        "use the helpers the engine provides (now(), in_days(), deadline(), …)"
    ),
    "code_name": (
        "the {kind} '{code}' uses '{name}', which the sandbox does not give diagram code; "
        "remove it or use a helper"
    ),
    "code_format": (
        "the {kind} '{code}' calls .{name}(), which diagram code cannot use; "
        "build texts with f-strings or +"
    ),
    "code_class": "the {kind} '{code}' defines a class, which diagram code cannot do",
    "code_construct": "the {kind} '{code}' uses {construct}, which diagram code cannot use",
    # decision tables
    "dmn_no_decision": "the file has no decision; add a decision table",
    "dmn_several_decisions": (
        "the file holds {count} decisions ({decisions}); the engine runs one decision per "
        "file: put each decision in a .dmn file of its own"
    ),
    "dmn_unsupported": (
        "<{tag}> is not supported by the engine, which runs decision tables only; remove it"
    ),
    "dmn_no_table": "the decision '{decision}' has no decision table; add one",
    "dmn_not_a_table": (
        "the decision's logic is a <{tag}>, but the engine runs decision tables only"
    ),
    "dmn_required_decision": (
        "the decision requires the decision '{ref}', but the engine does not chain decisions; "
        "call each decision from its own business rule task"
    ),
    "dmn_hit_policy": (
        "the hit policy {policy} is not supported; use UNIQUE, FIRST, ANY or COLLECT"
    ),
    "dmn_aggregation": (
        "COLLECT with the aggregation {aggregation} is not supported; "
        "use COLLECT without aggregation"
    ),
    "dmn_missing_id": "this <{tag}> has no id; give it one",
    "dmn_input_without_expression": (
        "the input column '{label}' has no expression; give the name of the data it reads"
    ),
    "dmn_output_without_name": (
        "the output column has no name; give the name of the data the result is stored in"
    ),
    "dmn_input_entries": (
        "the rule has {count} input cell(s), but the table has {expected} input column(s)"
    ),
    "dmn_output_entries": (
        "the rule has {count} output cell(s), but the table has {expected} output column(s)"
    ),
    "dmn_cell_invalid": (
        "the cell '{code}' is not valid: {reason} "
        '(cells are Python: "high", > 100, ? in ["a", "b"], -)'
    ),
    "dmn_cell_feel": (
        "the cell '{code}' writes {name} as FEEL does, but cells are Python: write {python}"
    ),
    "dmn_cell_glued": (
        "the cell '{code}' starts with a word, which the engine glues to the column's "
        "expression ('{glued}'); write it with the column's value as ?, like '? {code}'"
    ),
    "dmn_cell_name": (
        "the cell '{code}' uses '{name}', which is none of the table's inputs ({inputs}); "
        'quote text values, like "{name}"'
    ),
    "dmn_duplicate_decision": (
        "the decision id '{decision}' is also defined in {other}; give each decision its own id"
    ),
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a process file, as a process owner should read it."""

    file: str
    line: int | None
    element_id: str | None
    message: str
    code: str | None = None
    params: Mapping[str, str] = field(default_factory=dict, compare=False)

    @classmethod
    def of(
        cls,
        code: str,
        file: str,
        line: int | None,
        element_id: str | None,
        /,
        **params: Any,
    ) -> Problem:
        """The problem ``code`` (a key of :data:`MESSAGES`) worded with ``params``."""
        texts = {name: str(value) for name, value in params.items()}
        return cls(file, line, element_id, MESSAGES[code].format(**texts), code, texts)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return " ".join(f"{where}: {self.element_id or '-'}: {self.message}".split())
