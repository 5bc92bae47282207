"""What is wrong in a process file, as a process owner reads it: :class:`Problem`.

Every problem the engine finds in a process file (a diagram, a decision table, a form, the
policy, a message template) and every refusal of the studio is worded from :data:`MESSAGES`:
its text is a :class:`Wording`, the English the command line prints, which remembers its
``code`` and the ``params`` it is built from, so that a screen can word it in the reader's
language. A param may itself be a :class:`Wording` (a fragment such as "an object").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

#: English templates of the problems and refusals the engine words, by code; placeholders are
#: filled with :meth:`str.format`. A UI supplies its own templates with the same placeholders
#: (tests/test_web_studio.py checks the web UI has one for every code).
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
    "in_namespace": "<{tag}> in the namespace {namespace}",
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
    # form definitions (forms/*.json)
    "form_unreadable": "cannot read the file: {reason}",
    "form_not_utf8": "the file is not UTF-8 text ({reason})",
    "form_json": "invalid JSON at line {line}, column {column}: {detail}",
    "form_json_too_deep": "the JSON is nested too deeply",
    "form_not_object": "the form must be a JSON object, got {got}",
    "form_key_twice": "'{key}' is given more than once",
    "form_in_setting": "'{setting}': {problem}",
    "form_in_choice": "choice #{choice}: {problem}",
    "form_unknown_setting": "unknown setting '{key}' for a form{hint}",
    "form_field_unknown_setting": "unknown setting '{key}' for a {type} field{hint}",
    "form_choice_unknown_setting": "unknown setting '{key}' for a choice{hint}",
    "form_hint_close": " (did you mean '{close}'?)",
    "form_hint_allowed": "; allowed: {allowed}",
    "form_text_required": "'{setting}' is required",
    "form_text_not_object": (
        "'{setting}' must be an object with a text per language, like "
        '{{"fr": "...", "en": "..."}}, got {got}'
    ),
    "form_text_empty": "'{setting}' text for '{language}' must be non-empty text",
    "form_text_language_missing": "'{setting}' has no '{language}' text",
    "form_boolean": "'{key}' must be true or false, got {got}",
    "form_count": "'{key}' must be a whole number of {low} or more, got {got}",
    "form_number": "'{key}' must be a number, got {got}",
    "form_places": "'{key}' must have at most 2 decimal places, got {got}",
    "form_date": "'{key}' must be a date written YYYY-MM-DD, got {got}",
    "form_order": "'{low_key}' ({low}) is greater than '{high_key}' ({high})",
    "form_fields_required": "'fields' is required (use [] for a form without fields)",
    "form_fields_not_list": "'fields' must be a list of fields, got {got}",
    "form_field_not_object": "field #{number} must be a JSON object, got {got}",
    "form_key_missing": "the field has no 'key'",
    "form_key_not_text": "'key' must be text, got {got}",
    "form_key_invalid": (
        "key '{key}' is not valid: use only letters, digits and underscores, "
        "not starting with a digit"
    ),
    "form_key_underscore": "the key must not start with '_'",
    "form_key_keyword": "the key is a Python keyword and cannot be used in conditions",
    "form_key_reserved": "the key is reserved by the workflow engine",
    "form_key_used": "the key is already used by another field",
    "form_key_used_at": "the key is already used by another field at line {line}",
    "form_type_missing": "type is missing; expected one of {types}",
    "form_type_unknown": "type '{type}' is unknown{hint}; expected one of {types}",
    "form_type_invalid": "type {got} is not valid; expected one of {types}",
    "form_readonly_required": "a read-only field cannot be required (nobody can fill it)",
    "form_currency": "'currency' must be a 3-letter code such as EUR, got {got}",
    "form_max_files_single": "'max_files' only applies when 'multiple' is true",
    "form_pattern_not_text": "'pattern' must be text, got {got}",
    "form_pattern_invalid": "'pattern' is not a valid regular expression: {detail}",
    "form_choices": (
        '\'choices\' must be a non-empty list of {{"value", "label"}} objects, got {got}'
    ),
    "form_choice_not_object": "choice #{choice} must be a JSON object",
    "form_choice_value": "'value' must be non-empty text, got {got}",
    "form_choice_twice": "choice value '{value}' is listed twice",
    "form_min_items_over": "'min_items' ({min}) is more than the {count} choices offered",
    "form_default_invalid": "the default {value} is not valid for this field: {reason}",
    # what a form definition holds, where a problem says what it got
    "json_object": "an object",
    "json_list": "a list",
    "json_empty_list": "an empty list",
    # the policy (policy.toml)
    "policy_toml": "not valid TOML: {detail}",
    "policy_not_table": "'{key}' must be a table, like [{key}]",
    "policy_values_not_tables": "give [[publication.values]] tables",
    "policy_text_per_language": "give a text per language: {wanted}",
    "policy_not_text": "must be text",
    "calendar_country": "Unknown country {country}",
    "calendar_subdivision": "Unknown subdivision {subdivision}",
    "calendar_subdivision_of": "Unknown subdivision {subdivision} for {country}; known: {known}",
    "calendar_none": "none",
    "calendar_no_timezone": (
        "No default timezone for country {country}; pass an explicit IANA "
        "timezone (e.g. timezone='Asia/Tokyo')"
    ),
    "calendar_timezone": "Unknown timezone {timezone}",
    "calendar_unknown_key": "unknown setting {key}; allowed: {allowed}",
    "calendar_unknown": "Unknown calendar {name}; known: {known}",
    "calendar_never_open": (
        "no working day in the ten years from {day}: the closures leave no day open"
    ),
    "closures_not_list": "'{key}' must be a list, like {key} = {example}",
    "closure_invalid": (
        "'{value}' is not a date or a range of dates; write 2026-12-24 or 2026-12-26..2027-01-01"
    ),
    "closure_reversed": "the range '{value}' ends before it starts",
    "yearly_closure_invalid": "'{value}' is not a day of the year; write it MM-DD, like 12-24",
    "hours_unknown_day": "unknown day '{day}'; known: {known}",
    "hours_never_open": (
        'no day has opening hours; give at least one, like monday = "09:00-18:00"'
    ),
    "hours_not_text": (
        'give the opening hours as text, like "{example}", or leave the day out when it is closed'
    ),
    "hours_invalid": (
        "'{hours}' are not opening hours; write periods of 24-hour times, like \"{example}\""
    ),
    "hours_empty_period": "the period '{period}' ends before it starts",
    "hours_overlap": "the periods '{first}' and '{second}' overlap",
    "rule_name": "Deadline rule name must be a non-empty string, got {name}",
    "rule_in_calendar": "Deadline rule '{rule}': {problem}",
    "rule_not_table": "Deadline rule '{rule}': give a table, e.g. preset = \"acpr-answer\"",
    "rule_not_mapping": "Deadline rule '{rule}': expected a mapping, got {got}",
    "rule_unknown_preset": "Deadline rule '{rule}': unknown preset '{preset}'; known: {known}",
    "rule_preset_extra": (
        "Deadline rule '{rule}': a preset only takes 'warning' beside it, not {keys}"
    ),
    "rule_unknown_key": "Deadline rule '{rule}': unknown key {key}; allowed: {allowed}",
    "rule_missing_key": "Deadline rule '{rule}': missing required key {key}",
    "rule_unit": "Deadline rule '{rule}': unknown unit {unit}; known: {known}",
    "rule_count": "Deadline rule '{rule}': count must be a positive integer, got {count}",
    "rule_roll_forward": "Deadline rule '{rule}': roll_forward must be true or false, got {value}",
    "rule_roll_to": "Deadline rule '{rule}': unknown roll_to {roll_to}; known: {known}",
    "rule_warning": (
        "Deadline rule '{rule}': warning must be a number strictly between 0 and 1, got {warning}"
    ),
    "rule_subdivision_without_country": (
        "Deadline rule '{rule}': subdivision {subdivision} needs a country"
    ),
    "rule_roll_opening": (
        "Deadline rule '{rule}': roll_forward does not apply to {unit}, whose deadline always "
        "falls within opening hours"
    ),
    "rule_without_hours": (
        "Deadline rule '{rule}': counts {unit}, but the calendar has no opening hours; "
        "give them in [organisation.hours]"
    ),
    "rule_legal": "Deadline rule '{rule}': legal must be true or false, got {value}",
    "rule_pause_while": (
        "Deadline rule '{rule}': pause_while must be a list of states, "
        'like ["waiting_customer"], got {value}'
    ),
    "rule_pause_state": "Deadline rule '{rule}': unknown pause state {state}; known: {known}",
    "rule_pause_legal": (
        "Deadline rule '{rule}': a legal deadline never pauses (the regulator's clock runs "
        "while the organisation waits); remove pause_while"
    ),
    # message templates (messages/<language>/<name>.txt)
    "template_misplaced": "expected {folder}<language>/<message name>.txt",
    "template_language": "unknown language folder '{language}' (known: {known})",
    "template_subject_line": "the first line must be 'Subject: …' (the e-mail's subject)",
    "template_second_line": "leave the second line blank; the body starts on the third",
    "template_empty_body": "the body is empty",
    "template_error": "template error: {detail}",
    "template_empty_subject": "the subject is empty once rendered",
    "template_undefined": "'{name}' is undefined",
    "template_missing": (
        "no {language} template for this message, which '{element}' sends to {audience}: add {path}"
    ),
    "template_render": "does not render with what '{element}' ({file}) sends: {detail}",
    "template_unknown_names": (
        "uses {names}, which no diagram sends with this message (it sends: {sent})"
    ),
    "language_fr": "French",
    "language_en": "English",
    "audience_customer": "the customer",
    "audience_team": "the team",
    # the studio's refusals
    "name_not_process_file": (
        "'{name}' is not a process file; expected name.bpmn, name.dmn, "
        "{policy}, forms/name.json or messages/language/name.txt"
    ),
    "name_refused": "'{name}' cannot be used as a file name: use {allowed}, like {example}",
    "name_chars_form": "letters, digits, '_', '-' and '.'",
    "name_chars_data": "letters, digits and '_'",
    "name_chars_message": "letters, digits, '_' and '-'",
    "text_missing": "the file's text is missing",
    "draft_changed": (
        "'{name}' was changed by {user} while you were editing it; "
        "reload it and make your change again"
    ),
    "draft_changed_by_deployment": (
        "'{name}' was changed by a deployment while you were editing it; "
        "reload it and make your change again"
    ),
    "no_draft": "there is no draft to deploy",
    "drafts_changed": "the drafts changed since you looked at the changes; review them again",
    "nothing_new": (
        "with the drafts, the files are exactly those of version {number}: "
        "there is nothing new to deploy; discard the drafts"
    ),
    "same_versions": "choose two different versions",
}


class Wording(str):
    """The English text of ``templates[code]`` filled with ``params``, remembering both."""

    #: The English templates, by code (a subclass may word from its own table).
    templates: ClassVar[Mapping[str, str]] = MESSAGES
    code: str
    params: dict[str, str]

    def __new__(cls, code: str, /, **params: Any) -> Self:
        texts = {name: v if isinstance(v, str) else str(v) for name, v in params.items()}
        self = super().__new__(cls, cls.templates[code].format(**texts))
        self.code = code
        self.params = texts
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (_reworded, (type(self), self.code, self.params))


def _reworded(cls: type[Wording], code: str, params: dict[str, str]) -> Wording:
    return cls(code, **params)


def wording_of(error: BaseException) -> str:
    """What an error says: the :class:`Wording` it was raised with, else its text."""
    first = error.args[0] if error.args else None
    return first if isinstance(first, Wording) else str(error)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a process file, as a process owner should read it.

    A ``message`` that is a :class:`Wording` gives the problem its ``code`` and ``params``.
    """

    file: str
    line: int | None
    element_id: str | None
    message: str
    code: str | None = None
    params: Mapping[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.code is None and isinstance(self.message, Wording):
            object.__setattr__(self, "code", self.message.code)
            object.__setattr__(self, "params", self.message.params)

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
        return cls(file, line, element_id, Wording(code, **params))

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return " ".join(f"{where}: {self.element_id or '-'}: {self.message}".split())
