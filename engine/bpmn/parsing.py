"""Reading a deployment's BPMN and DMN files: the specs a version stores, or every problem.

With :mod:`engine.bpmn.workflow`, which runs what this module parses, the only module that imports
SpiffWorkflow. The checks come in rings, and each reports all it finds before the next runs on
what is left: the XML (well-formed, the right namespace, the schema: every error, with its
line); what SpiffWorkflow reports poorly or not at all (references to nothing, unsupported
elements and DMN features, decision-table cells); SpiffWorkflow's own parse, which stops at the
first problem of a process, so the element at fault is made plain and the parse runs again;
last, every piece of diagram code, compiled under the sandbox's rules.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.dmn.parser.DMNParser import DMNParser
from SpiffWorkflow.spiff.parser import SpiffBpmnParser

from engine.bpmn.decision_checks import dmn_file_problems, duplicate_decisions
from engine.bpmn.diagram_code import (
    code_problems,
    condition_places,
    sequence_flows,
)
from engine.bpmn.diagrams import BPMN_NS
from engine.bpmn.structure_checks import (
    GATEWAY_TAGS,
    UNSUPPORTED,
    KnownNames,
    names_set_by,
    structure_problems,
)
from engine.bpmn.workflow import form_of, storable_spec, to_json_safe, without_reprs
from engine.bpmn.xml_checks import (
    bpmn_file_problems,
    dedupe,
    ids_in,
    index_elements,
    local_name,
    read_as_dmn,
)
from engine.problems import Problem

#: How often one process is parsed again after making the element at fault plain.
_REPARSES = 50


@dataclass
class ParsedDeployment:
    """What a deployment's files contain, in storable form."""

    specs: dict[str, dict]  # process id -> {"spec": ..., "subprocess_specs": {...}}
    flows: dict[str, dict[str, dict]]  # process id -> {"source>target": {"id", "name"}}
    forms_used: dict[str, list[str]]  # form file -> element ids that use it
    process_ids: list[str]


def parse_deployment(
    files: Mapping[str, str], provided: Iterable[str] = ()
) -> tuple[ParsedDeployment | None, list[Problem]]:
    """Parse BPMN and DMN files together; return the deployment or every problem found.

    ``provided`` are the names diagram code finds besides the sandbox's own: the helpers it
    may call and the task data the deployment's forms fill in.
    """
    problems: list[Problem] = []
    diagrams, tables = _read_sources(files, problems)
    helpers = frozenset(provided) | names_set_by(diagrams, tables)
    usable = {}
    for name, root in diagrams.items():
        found = bpmn_file_problems(name, root)
        problems.extend(found)
        if not found:
            usable[name] = root
    runnable = {}
    for name, root in tables.items():
        found = dmn_file_problems(name, root, helpers)
        problems.extend(found)
        if not found:
            runnable[name] = root
    problems.extend(duplicate_decisions(tables))
    if not diagrams:
        return None, dedupe([*problems, Problem.of("no_diagram", "(deployment)", None, None)])

    known = KnownNames(
        processes=ids_in(usable, "process"),
        unusable_processes=ids_in(
            {n: r for n, r in diagrams.items() if n not in usable}, "process"
        ),
        decisions=ids_in(tables, "decision", any_namespace=True),
        runnable_decisions=ids_in(runnable, "decision", any_namespace=True),
        all_decisions_known=all(read_as_dmn(root) for root in tables.values())
        and len(tables) == sum(1 for n in files if n.endswith(".dmn")),
    )
    copies = {name: copy.deepcopy(root) for name, root in usable.items()}
    for name, root in usable.items():
        found, plain, removed = structure_problems(name, root, known)
        problems.extend(found)
        _neutralize(root, copies[name], plain, removed)

    element_index = index_elements({**usable, **runnable})
    specs, spiff_problems = _spiff_parse(copies, runnable, element_index)
    problems.extend(spiff_problems)
    conditions = condition_places(usable)
    for process_id, (spec, subprocess_specs) in specs.items():
        file = element_index.get(process_id, ("(deployment)", None))[0]
        for each in [spec, *subprocess_specs.values()]:
            problems.extend(code_problems(each, element_index, conditions, file, helpers))
    if problems:
        return None, dedupe(problems)

    forms_used: dict[str, list[str]] = {}
    for spec, subprocess_specs in specs.values():
        for each in [spec, *subprocess_specs.values()]:
            for task_spec in each.task_specs.values():
                form = form_of(task_spec)
                if form and task_spec.bpmn_id not in forms_used.setdefault(form, []):
                    forms_used[form].append(task_spec.bpmn_id)
    stored = to_json_safe(
        {
            process_id: {
                "spec": storable_spec(spec),
                "subprocess_specs": storable_spec(subprocess_specs),
            }
            for process_id, (spec, subprocess_specs) in specs.items()
        }
    )
    return ParsedDeployment(stored, sequence_flows(usable), forms_used, list(specs)), []


def decision_file_problems(files: Mapping[str, str], provided: Iterable[str]) -> list[Problem]:
    """Every problem of the decision tables among ``files``, checked without a diagram."""
    problems: list[Problem] = []
    _, tables = _read_sources(files, problems)
    helpers = frozenset(provided) | names_set_by({}, tables)
    for name, root in tables.items():
        problems.extend(dmn_file_problems(name, root, helpers))
    problems.extend(duplicate_decisions(tables))
    return dedupe(problems)


def _read_sources(files: Mapping[str, str], problems: list[Problem]) -> tuple[dict, dict]:
    """The well-formed diagrams and decision files, by name; the others are problems."""
    diagrams, tables = {}, {}
    for name, text in sorted(files.items()):
        if not name.endswith((".bpmn", ".dmn")):
            continue
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        try:
            root = etree.fromstring(text.encode("utf-8") if isinstance(text, str) else text, parser)
        except etree.XMLSyntaxError as exc:
            problems.append(Problem.of("not_xml", name, exc.lineno, None, detail=exc.msg))
            continue
        (diagrams if name.endswith(".bpmn") else tables)[name] = root
    return diagrams, tables


def _neutralize(original, clone, plain: Iterable, removed: Iterable) -> None:
    """In ``clone`` (a copy of ``original``), make the ``plain`` elements of ``original`` plain
    and take out the ``removed`` ones."""
    tree = original.getroottree()
    twins = [  # found before any change, which would shift the paths of those after it
        (clone.find(tree.getelementpath(element)), action)
        for elements, action in ((plain, _make_plain), (removed, _remove))
        for element in elements
    ]
    for twin, action in twins:
        if twin is not None:
            action(twin)


def _make_plain(element) -> None:
    """An element the parser accepts in the same place: a task, or a parallel gateway where
    several flows leave it, with its flows and nothing else."""
    tag = local_name(element.tag)
    if tag == "boundaryEvent":
        _remove(element)
        return
    outgoing = [c for c in element if local_name(c.tag) == "outgoing"]
    if tag in ("startEvent", "endEvent"):
        kind = tag
    elif tag.endswith("Event"):
        kind = "intermediateThrowEvent"
    elif tag in GATEWAY_TAGS or tag in UNSUPPORTED or len(outgoing) > 1:
        kind = "parallelGateway"
    else:
        kind = "task"
    for child in list(element):
        if local_name(child.tag) not in ("incoming", "outgoing"):
            element.remove(child)
    for key in list(element.attrib):
        if key not in ("id", "name"):
            del element.attrib[key]
    element.tag = f"{{{BPMN_NS}}}{kind}"


def _remove(element) -> None:
    if element.getparent() is not None:
        element.getparent().remove(element)


def _find(clones: Mapping[str, Any], element_id: str):
    for root in clones.values():
        for element in root.iter():
            if isinstance(element.tag, str) and element.get("id") == element_id:
                return element
    return None


class _DeploymentParser(SpiffBpmnParser):
    """SpiffWorkflow's parser, for files checked here already (so without schema validation).

    SpiffWorkflow's ``add_dmn_xml`` finds decisions only when DMN is the file's default
    namespace; this one reads them under any prefix, from a copy holding only what its DMN
    parser knows (the columns' annotations and descriptions, which it rejects, left out).
    """

    def add_dmn_xml(self, node, filename=None):
        namespace = etree.QName(node).namespace
        node = copy.deepcopy(node)
        for table in node.iter(f"{{{namespace}}}decisionTable"):
            for child in list(table):
                if local_name(child.tag) not in ("input", "output", "rule"):
                    table.remove(child)
        parser = DMNParser(self, node, {**self.namespaces, "dmn": namespace}, filename=filename)
        self.dmn_parsers[parser.bpmn_id] = parser
        self.dmn_parsers_by_name[parser.get_name()] = parser


def _spiff_parse(diagrams: Mapping[str, Any], tables: Mapping[str, Any], element_index):
    """Each executable process's (spec, subprocess specs), and every problem SpiffWorkflow
    finds: after a problem, the element at fault is made plain and the process parsed again."""
    problems: list[Problem] = []
    addable: dict[str, tuple[str, Any]] = {}

    def parser_of(files: Mapping[str, tuple[str, Any]], report: bool) -> _DeploymentParser:
        parser = _DeploymentParser()
        for name, (kind, root) in files.items():
            try:
                if kind == "dmn":
                    parser.add_dmn_xml(root, filename=name)
                else:
                    parser.add_bpmn_xml(etree.ElementTree(root), filename=name)
            except Exception as exc:  # anything SpiffWorkflow raises is a problem of the file
                if report:
                    problems.append(_problem_from_exception(exc, name, element_index))
                continue
            addable[name] = (kind, root)
        return parser

    parser = parser_of(
        {
            **{n: ("dmn", r) for n, r in tables.items()},
            **{n: ("bpmn", r) for n, r in diagrams.items()},
        },
        report=True,
    )
    specs = {}
    for process_id in parser.get_process_ids():
        default_file = element_index.get(process_id, ("(deployment)", None))[0]
        made_plain: set[str] = set()
        for _ in range(_REPARSES):
            try:
                specs[process_id] = (
                    parser.get_spec(process_id),
                    parser.get_subprocess_specs(process_id),
                )
                break
            except Exception as exc:  # SpiffWorkflow raises more than ValidationException
                problem = _problem_from_exception(exc, default_file, element_index)
                problems.append(problem)
                element = _find(diagrams, problem.element_id) if problem.element_id else None
                if element is None or problem.element_id in made_plain:
                    break
                made_plain.add(problem.element_id)
                _make_plain(element) if local_name(element.tag) != "sequenceFlow" else _remove(
                    element
                )
                parser = parser_of(dict(addable), report=False)
    return specs, problems


#: SpiffWorkflow's messages, as problems: (pattern, code, the parameters from the match).
_SPIFF_MESSAGES: list[tuple[re.Pattern[str], str, Callable[[re.Match, Any], dict]]] = [
    (
        re.compile(r"There is no support implemented"),
        "kind_unsupported",
        lambda m, e: {"tag": e.tag},
    ),
    (re.compile(r"No start event found"), "no_start_event", lambda m, e: {}),
    (re.compile(r"Unknown Time Specification"), "timer_without_expression", lambda m, e: {}),
    (
        re.compile(r"Multiple outgoing flows are not supported"),
        "several_outgoing_flows",
        lambda m, e: {},
    ),
    (
        re.compile(r"A Service Task must have an operator"),
        "service_without_operator",
        lambda m, e: {},
    ),
    (
        re.compile(r"Duplicate process ID: (.+)"),
        "duplicate_process",
        lambda m, e: {"process": m[1]},
    ),
    (
        re.compile(r"The process '(.+?)' was not found"),
        "call_missing_process",
        lambda m, e: {"process": m[1]},
    ),
    (
        re.compile(r"Data Store with name (.+) has no implementation"),
        "data_store",
        lambda m, e: {"name": m[1]},
    ),
    (re.compile(r"Cannot resolve data\w+Association"), "data_reference", lambda m, e: {"ref": "?"}),
    (
        re.compile(r'No DMN Diagram available with id "(.*?)"'),
        "decision_missing",
        lambda m, e: {"decision": m[1]},
    ),
    (
        re.compile(r"outgoing sequence flow without condition"),
        "flow_without_condition",
        lambda m, e: {},
    ),
]


def _problem_from_exception(exc: Exception, default_file: str, element_index) -> Problem:
    """One line naming the element, its line and the cause, never an object's repr."""
    if isinstance(exc, ValidationException):
        message = str(exc.args[0]) if exc.args else ""
        file, element = exc.file_name or default_file, exc.id or None
        line = exc.line_number if isinstance(exc.line_number, int) else None
    else:
        message = exc.args[0] if exc.args and isinstance(exc.args[0], str) else type(exc).__name__
        file, element, line = default_file, None, None
    for pattern, code, params in _SPIFF_MESSAGES:
        match = pattern.search(message)
        if match:
            problem = Problem.of(code, file, line, element, **params(match, exc))
            break
    else:
        problem = Problem.of("engine_refused", file, line, element, detail=_without_reprs(message))
    if problem.line is None and problem.element_id in element_index:
        file, line = element_index[problem.element_id]
        problem = replace(problem, file=file, line=line)
    return problem


def _without_reprs(text: str) -> str:
    """``text`` on one line, with an XML element's repr said as its tag (``<sourceRef>``)."""
    text = re.sub(r"<Element \{[^}]*\}(\w+) at 0x[0-9a-fA-F]+>", r"<\1>", text)
    return " ".join(without_reprs(text).split())
