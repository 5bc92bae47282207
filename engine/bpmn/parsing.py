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

import ast
import copy
import functools
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as SPIFF_DMN_SCHEMAS
from SpiffWorkflow.dmn.parser.DMNParser import DMNParser
from SpiffWorkflow.spiff.parser import VALIDATOR, SpiffBpmnParser

from engine.bpmn.diagram_code import check_code, free_names, shorten
from engine.bpmn.diagrams import BPMN_NS, SPIFF_NS
from engine.bpmn.sandbox import provided_names
from engine.bpmn.workflow import form_of, storable_spec, to_json_safe, without_reprs
from engine.problems import Problem, Wording

XSD_NS = "http://www.w3.org/2001/XMLSchema"
DMN11_NS = "http://www.omg.org/spec/DMN/20151101/dmn.xsd"
DMN12_NS = "http://www.omg.org/spec/DMN/20180521/MODEL/"
DMN13_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"
#: The DMN versions the engine reads, by namespace.
DMN_NAMESPACES = {DMN11_NS: "1.1", DMN12_NS: "1.2", DMN13_NS: "1.3"}
_LATER_DMN = {
    "https://www.omg.org/spec/DMN/20211108/MODEL/": "1.4",
    "https://www.omg.org/spec/DMN/20230324/MODEL/": "1.5",
}
_XSD_DIR = Path(__file__).parent / "xsd"
_PREFIXES = {BPMN_NS: "bpmn", SPIFF_NS: "spiffworkflow", **dict.fromkeys(DMN_NAMESPACES, "dmn")}

#: The BPMN flow elements (by XML tag) that diagrams may use.
_UNSUPPORTED = {"complexGateway": "complex_gateway", "adHocSubProcess": "ad_hoc_subprocess"}
_GATEWAYS = {"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway"}
_BOUNDARY_EVENTS = {
    "cancelEventDefinition",
    "errorEventDefinition",
    "escalationEventDefinition",
    "messageEventDefinition",
    "signalEventDefinition",
    "timerEventDefinition",
    "conditionalEventDefinition",
}
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
    helpers = frozenset(provided) | _names_set_by(diagrams, tables)
    usable = {}
    for name, root in diagrams.items():
        found = _bpmn_file_problems(name, root)
        problems.extend(found)
        if not found:
            usable[name] = root
    runnable = {}
    for name, root in tables.items():
        found = _dmn_file_problems(name, root, helpers)
        problems.extend(found)
        if not found:
            runnable[name] = root
    problems.extend(_duplicate_decisions(tables))
    if not diagrams:
        return None, _dedupe([*problems, Problem.of("no_diagram", "(deployment)", None, None)])

    known = _Known(
        processes=_ids(usable, "process"),
        unusable_processes=_ids({n: r for n, r in diagrams.items() if n not in usable}, "process"),
        decisions=_ids(tables, "decision", any_namespace=True),
        runnable_decisions=_ids(runnable, "decision", any_namespace=True),
        all_decisions_known=all(_read_as_dmn(root) for root in tables.values())
        and len(tables) == sum(1 for n in files if n.endswith(".dmn")),
    )
    copies = {name: copy.deepcopy(root) for name, root in usable.items()}
    for name, root in usable.items():
        found, plain, removed = _structure_problems(name, root, known)
        problems.extend(found)
        _neutralize(root, copies[name], plain, removed)

    element_index = _element_index({**usable, **runnable})
    specs, spiff_problems = _spiff_parse(copies, runnable, element_index)
    problems.extend(spiff_problems)
    conditions = _conditions(usable)
    for process_id, (spec, subprocess_specs) in specs.items():
        file = element_index.get(process_id, ("(deployment)", None))[0]
        for each in [spec, *subprocess_specs.values()]:
            problems.extend(_code_problems(each, element_index, conditions, file, helpers))
    if problems:
        return None, _dedupe(problems)

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
    return ParsedDeployment(stored, _sequence_flows(usable), forms_used, list(specs)), []


def decision_file_problems(files: Mapping[str, str], provided: Iterable[str]) -> list[Problem]:
    """Every problem of the decision tables among ``files``, checked without a diagram."""
    problems: list[Problem] = []
    _, tables = _read_sources(files, problems)
    helpers = frozenset(provided) | _names_set_by({}, tables)
    for name, root in tables.items():
        problems.extend(_dmn_file_problems(name, root, helpers))
    problems.extend(_duplicate_decisions(tables))
    return _dedupe(problems)


# --- the XML ----------------------------------------------------------------------------------


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


class _Schema:
    """An XML schema, compiled when first needed; one document at a time (its log is shared)."""

    def __init__(self, build: Callable[[], etree.XMLSchema]):
        self._build = build
        self._schema: etree.XMLSchema | None = None
        self._lock = threading.Lock()

    def errors(self, root) -> list[tuple[int | None, str]]:
        with self._lock:
            if self._schema is None:
                self._schema = self._build()
            if self._schema.validate(root):
                return []
            return [(error.line or None, error.message) for error in self._schema.error_log]


def _dmn_xsd(namespace: str) -> etree.XMLSchema:
    document = etree.parse(SPIFF_DMN_SCHEMAS[namespace])
    if namespace == DMN12_NS:  # SpiffWorkflow ships the DI schema under DMNDI12.xsd's name
        document.getroot().insert(
            0,
            etree.Element(
                f"{{{XSD_NS}}}import",
                namespace="http://www.omg.org/spec/DMN/20180521/DMNDI/",
                schemaLocation=(_XSD_DIR / "DMNDI12.xsd").as_uri(),
            ),
        )
    return etree.XMLSchema(document)


_BPMN_SCHEMA = _Schema(lambda: VALIDATOR.validator)
_DMN_SCHEMAS = {ns: _Schema(functools.partial(_dmn_xsd, ns)) for ns in DMN_NAMESPACES}


def _bpmn_file_problems(name: str, root) -> list[Problem]:
    if root.tag != f"{{{BPMN_NS}}}definitions":
        found = _readable_tag(root)
        return [
            Problem.of("not_bpmn_file", name, root.sourceline, None, found=found, namespace=BPMN_NS)
        ]
    VALIDATOR.preprocess(root)  # what bpmn-js writes for correlations, made valid BPMN
    return _schema_problems(name, root, _BPMN_SCHEMA, "bpmn_schema")


_DUPLICATE_ID = re.compile(
    r"attribute 'id': '(.*)' is not a valid value of the atomic type 'xs:ID'"
)


def _schema_problems(name: str, root, schema: _Schema, code: str) -> list[Problem]:
    problems = []
    for line, message in schema.errors(root):
        duplicate = _DUPLICATE_ID.search(message)
        if duplicate:
            problem = Problem.of("duplicate_id", name, line, duplicate[1], id=duplicate[1])
        else:
            problem = Problem.of(code, name, line, None, detail=_readable(message, root))
        problems.append(_located(problem, root))
    return _dedupe(problems)


def _readable(message: str, root) -> str:
    """An XML message with ``{namespace}`` written as the prefix a person knows."""
    prefixes = {ns: prefix for prefix, ns in root.nsmap.items() if prefix} | _PREFIXES
    return re.sub(
        r"\{([^}]*)\}", lambda m: f"{prefixes[m[1]]}:" if m[1] in prefixes else m[0], message
    )


def _readable_tag(element) -> str:
    """An element's tag as a person reads it: ``<dmn:definitions>``, ``<definitions>`` (no
    namespace), ``<definitions> in the namespace …`` (one that has no known prefix)."""
    name = etree.QName(element)
    if name.namespace is None:
        return f"<{name.localname}>"
    if name.namespace in _PREFIXES:
        return f"<{_PREFIXES[name.namespace]}:{name.localname}>"
    return Wording("in_namespace", tag=name.localname, namespace=name.namespace)


def _located(problem: Problem, root) -> Problem:
    """Name the element on the problem's line when the parser did not say which one it was."""
    if problem.element_id or not problem.line:
        return problem
    for element in root.iter():
        if (
            isinstance(element.tag, str)
            and element.sourceline == problem.line
            and element.get("id")
        ):
            return replace(problem, element_id=element.get("id"))
    return problem


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _ids(sources: Mapping[str, Any], tag: str, any_namespace: bool = False) -> set[str]:
    pattern = f"{{*}}{tag}" if any_namespace else f"{{{BPMN_NS}}}{tag}"
    return {el.get("id") for root in sources.values() for el in root.iter(pattern) if el.get("id")}


def _element_index(sources: Mapping[str, Any]) -> dict[str, tuple[str, int]]:
    index = {}
    for name, root in sources.items():
        for el in root.iter():
            if isinstance(el.tag, str) and el.get("id"):
                index.setdefault(el.get("id"), (name, el.sourceline))
    return index


def _names_set_by(diagrams: Mapping[str, Any], tables: Mapping[str, Any]) -> frozenset[str]:
    """Task data the files themselves set: what scripts assign, what messages and services
    store their results in, what decision tables output. Such a name is data even where
    Python has a builtin of that name (a ``type`` column, say)."""
    names: set[str] = set()
    scripts = (f"{{{BPMN_NS}}}script", f"{{{SPIFF_NS}}}preScript", f"{{{SPIFF_NS}}}postScript")
    for root in diagrams.values():
        for element in root.iter(*scripts):
            try:
                tree = ast.parse(element.text or "")
            except SyntaxError:
                continue  # reported with the script
            names |= {
                n.id
                for n in ast.walk(tree)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
            }
        names |= {(el.text or "").strip() for el in root.iter(f"{{{SPIFF_NS}}}messageVariable")}
        names |= {
            el.get("resultVariable") or "" for el in root.iter(f"{{{SPIFF_NS}}}serviceTaskOperator")
        }
    for root in tables.values():
        names |= {el.get("name") or "" for el in root.iter("{*}output")}
    return frozenset(name for name in names if name.isidentifier())


def _dedupe(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


# --- decision tables --------------------------------------------------------------------------


def _read_as_dmn(root) -> bool:
    """Whether the decisions of a file can be read: its root is DMN ``<definitions>``."""
    name = etree.QName(root)
    return name.localname == "definitions" and name.namespace in DMN_NAMESPACES


def _dmn_file_problems(name: str, root, helpers: frozenset[str]) -> list[Problem]:
    namespace, local = etree.QName(root).namespace, etree.QName(root).localname
    if local == "definitions" and namespace in _LATER_DMN:
        version = _LATER_DMN[namespace]
        return [Problem.of("dmn_version", name, root.sourceline, root.get("id"), version=version)]
    if not _read_as_dmn(root):
        found = _readable_tag(root)
        return [
            Problem.of("not_dmn_file", name, root.sourceline, None, found=found, namespace=DMN13_NS)
        ]
    problems = _schema_problems(name, root, _DMN_SCHEMAS[namespace], "dmn_schema")
    return problems or _decision_problems(name, root, {"dmn": namespace}, helpers)


def _decision_problems(name: str, root, ns: dict, helpers: frozenset[str]) -> list[Problem]:
    problems = [
        Problem.of("dmn_unsupported", name, el.sourceline, el.get("id"), tag=tag)
        for tag in ("decisionService", "businessKnowledgeModel")
        for el in root.iterfind(f"dmn:{tag}", ns)
    ]
    decisions = root.findall("dmn:decision", ns)
    if not decisions and not problems:
        problems.append(Problem.of("dmn_no_decision", name, root.sourceline, root.get("id")))
    if len(decisions) > 1:
        ids = ", ".join(d.get("id") or d.get("name") or "?" for d in decisions)
        problems.append(
            Problem.of(
                "dmn_several_decisions",
                name,
                decisions[1].sourceline,
                decisions[1].get("id"),
                count=len(decisions),
                decisions=ids,
            )
        )
    for decision in decisions:
        problems.extend(_decision_table_problems(name, decision, ns, helpers))
    return problems


#: What a decision may hold besides its logic.
_DECISION_PARTS = {
    "description",
    "extensionElements",
    "question",
    "allowedAnswers",
    "variable",
    "informationRequirement",
    "knowledgeRequirement",
    "authorityRequirement",
    "supportedObjective",
    "impactedPerformanceIndicator",
    "decisionMaker",
    "decisionOwner",
    "usingProcess",
    "usingTask",
}
_HIT_POLICIES = {"UNIQUE", "FIRST", "ANY", "COLLECT"}


def _decision_table_problems(name: str, decision, ns: dict, helpers) -> list[Problem]:
    def problem(code: str, element, /, **params) -> Problem:
        return Problem.of(code, name, element.sourceline, element.get("id"), **params)

    problems = [
        problem("dmn_required_decision", decision, ref=(required.get("href") or "").lstrip("#"))
        for required in decision.iterfind("dmn:informationRequirement/dmn:requiredDecision", ns)
    ]
    table = decision.find("dmn:decisionTable", ns)
    if table is None:
        logic = next(
            (
                c
                for c in decision
                if isinstance(c.tag, str) and _local(c.tag) not in _DECISION_PARTS
            ),
            None,
        )
        if logic is None:
            return [*problems, problem("dmn_no_table", decision, decision=decision.get("id"))]
        return [*problems, problem("dmn_not_a_table", logic, tag=_local(logic.tag))]
    policy = (table.get("hitPolicy") or "UNIQUE").upper()
    if policy not in _HIT_POLICIES:
        problems.append(problem("dmn_hit_policy", table, policy=policy))
    elif policy == "COLLECT" and table.get("aggregation"):
        problems.append(problem("dmn_aggregation", table, aggregation=table.get("aggregation")))
    inputs, outputs = table.findall("dmn:input", ns), table.findall("dmn:output", ns)
    rules = table.findall("dmn:rule", ns)
    entries = [e for rule in rules for e in rule if _local(e.tag) in ("inputEntry", "outputEntry")]
    problems.extend(
        problem("dmn_missing_id", el, tag=_local(el.tag))
        for el in [decision, table, *inputs, *outputs, *rules, *entries]
        if not el.get("id")
    )
    expressions: list[str | None] = []
    for column in inputs:
        text = column.findtext("dmn:inputExpression/dmn:text", namespaces=ns) or ""
        faults = check_code(text, "eval", "decision input", helpers) if text.strip() else []
        if not text.strip():
            label = column.get("label") or column.get("id") or "?"
            problems.append(problem("dmn_input_without_expression", column, label=label))
        problems.extend(problem(f.code, column, **f.params) for f in faults)
        expressions.append(text if text.strip() and not faults else None)
    inputs_read = set().union(*(free_names(e, "eval") for e in expressions if e))
    problems.extend(
        problem("dmn_output_without_name", column)
        for column in outputs
        if not (column.get("name") or column.get("label"))
    )
    known = inputs_read | provided_names() | helpers
    for rule in rules:
        cells = rule.findall("dmn:inputEntry", ns)
        results = rule.findall("dmn:outputEntry", ns)
        if len(cells) != len(inputs):
            problems.append(
                problem("dmn_input_entries", rule, count=len(cells), expected=len(inputs))
            )
        elif len(results) != len(outputs):
            problems.append(
                problem("dmn_output_entries", rule, count=len(results), expected=len(outputs))
            )
        else:
            for cell, expression in [
                *zip(cells, expressions, strict=True),
                *((r, None) for r in results),
            ]:
                text = cell.findtext("dmn:text", namespaces=ns)
                for code, params in _cell_faults(
                    text, expression, cell, known, inputs_read, helpers
                ):
                    problems.append(problem(code, cell, **params))
    return problems


_FEEL_LITERALS = {"true": "True", "false": "False", "null": "None"}
#: A question mark outside quotes stands for the column's value (as SpiffWorkflow reads it).
_COLUMN_VALUE = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")


def _cell_faults(text, column, cell, known, inputs_read, helpers) -> Iterator[tuple[str, dict]]:
    """What is wrong with one cell, built and compiled as SpiffWorkflow's DMN engine will run
    it (from the texts as written): an input cell against its column, an output on its own."""
    input_cell = _local(cell.tag) == "inputEntry"
    if not text or (input_cell and (text == "-" or column is None)):
        return  # an empty cell matches any value, or gives an empty result
    quoted = {"code": shorten(text)}
    if input_cell and text.strip() in ("", "-"):
        yield "dmn_cell_invalid", {**quoted, "reason": "write '-' alone for any value"}
        return
    if not input_cell:
        expression = text
    elif _COLUMN_VALUE.search(text):
        expression = _COLUMN_VALUE.sub("dmninputexpr", text)
    elif _parses(text):
        expression = f"({column}) == ({text})"
    elif _parses(f"v {text}"):
        expression = column + text
        if re.match(r"\w", text) and re.search(r"\w$", column):
            yield "dmn_cell_glued", {**quoted, "glued": shorten(expression)}
            return
    else:
        yield "dmn_cell_invalid", {**quoted, "reason": "not a test of the column's value"}
        return
    faults = check_code(expression, "eval", "cell", helpers, shown=text)
    for fault in faults:
        if fault.code == "code_invalid":
            yield "dmn_cell_invalid", {**quoted, "reason": fault.params["reason"]}
        else:
            yield fault.code, fault.params
    if faults:
        return
    own = free_names(column, "eval") if input_cell and "dmninputexpr" not in expression else set()
    for unknown in sorted(free_names(expression, "eval") - own - known - {"dmninputexpr"}):
        if unknown in _FEEL_LITERALS:
            yield "dmn_cell_feel", {**quoted, "name": unknown, "python": _FEEL_LITERALS[unknown]}
        else:
            inputs = ", ".join(sorted(inputs_read)) or "-"
            yield "dmn_cell_name", {**quoted, "name": unknown, "inputs": inputs}


def _parses(text: str) -> bool:
    """Whether SpiffWorkflow's DMN engine takes ``text`` as Python (as a statement)."""
    try:
        ast.parse(text)
    except SyntaxError:
        return False
    return True


def _duplicate_decisions(tables: Mapping[str, Any]) -> list[Problem]:
    seen: dict[str, str] = {}
    problems = []
    for name, root in tables.items():
        for decision in root.iter("{*}decision"):
            decision_id = decision.get("id")
            if not decision_id:
                continue
            if decision_id in seen and seen[decision_id] != name:
                problems.append(
                    Problem.of(
                        "dmn_duplicate_decision",
                        name,
                        decision.sourceline,
                        decision_id,
                        decision=decision_id,
                        other=seen[decision_id],
                    )
                )
            seen.setdefault(decision_id, name)
    return problems


# --- what SpiffWorkflow reports poorly or not at all --------------------------------------------


@dataclass(frozen=True)
class _Known:
    processes: set[str]  # defined by diagrams that passed the XML checks
    unusable_processes: set[str]  # defined by diagrams with XML problems (reported there)
    decisions: set[str]  # defined by well-formed decision files
    runnable_decisions: set[str]  # defined by decision files without problems
    all_decisions_known: bool  # no decision file is so broken that its decisions are unknown


def _structure_problems(name: str, root, known: _Known) -> tuple[list[Problem], list, list]:
    """Problems SpiffWorkflow reports poorly or not at all, and the elements to make plain or
    remove (in a copy) so that its parse goes on past them: ``(problems, plain, removed)``."""
    problems: list[Problem] = []
    plain, removed = [], []

    def report(code: str, element, /, **params) -> None:
        problems.append(Problem.of(code, name, element.sourceline, element.get("id"), **params))

    processes = list(root.iter(f"{{{BPMN_NS}}}process"))
    if processes and all(p.get("isExecutable", "true") == "false" for p in processes):
        report("not_executable", processes[0])
    for store in root.iter(f"{{{BPMN_NS}}}dataStore"):
        report("data_store", store, name=store.get("name") or store.get("id") or "?")
        removed.append(store)
    object_refs = {
        el.get("id"): el.get("dataObjectRef")
        for el in root.iter(f"{{{BPMN_NS}}}dataObjectReference")
    }
    store_refs = {el.get("id") for el in root.iter(f"{{{BPMN_NS}}}dataStoreReference")}
    for process in processes:
        ids = {el.get("id") for el in process.iter() if el.get("id")}
        for el in process.iter():
            tag = _local(el.tag)
            if tag == "sequenceFlow":
                for end, code in (
                    ("sourceRef", "flow_source_missing"),
                    ("targetRef", "flow_target_missing"),
                ):
                    if el.get(end) not in ids:
                        report(code, el, ref=el.get(end))
                        removed.append(el)
            elif tag in _UNSUPPORTED:
                report(_UNSUPPORTED[tag], el, tag=tag)
                plain.append(el)
            elif tag == "boundaryEvent" and not any(_local(c.tag) in _BOUNDARY_EVENTS for c in el):
                report("boundary_without_event", el)
                removed.append(el)
            elif tag == "callActivity":
                called = el.get("calledElement")
                if not called:
                    report("call_without_process", el)
                elif called not in known.processes and called not in known.unusable_processes:
                    report("call_missing_process", el, process=called)
                if called not in known.processes:
                    plain.append(el)
            elif tag == "businessRuleTask":
                _check_decision_call(el, known, report, plain)
            for association, ref_tag in (
                ("dataInputAssociation", "sourceRef"),
                ("dataOutputAssociation", "targetRef"),
            ):
                for link in el.iterfind(f"bpmn:{association}", {"bpmn": BPMN_NS}):
                    ref = (
                        link.findtext(f"bpmn:{ref_tag}", namespaces={"bpmn": BPMN_NS}) or ""
                    ).strip()
                    if ref in store_refs:
                        removed.append(link)  # the data store itself is reported
                    elif object_refs.get(ref) not in _reachable_data_objects(el):
                        report("data_reference", el, ref=ref)
                        removed.append(link)
    return problems, plain, removed


def _reachable_data_objects(element) -> set[str]:
    """The data objects SpiffWorkflow finds for an element: those of its process or
    sub-process and of the one around it (it searches no further, and loops when it must)."""
    containers = [
        a
        for a in element.iterancestors()
        if _local(a.tag) in ("process", "subProcess", "transaction")
    ][:2]
    return {
        obj.get("id")
        for container in containers
        for obj in container.iterfind("bpmn:dataObject", {"bpmn": BPMN_NS})
    }


def _check_decision_call(task, known: _Known, report, plain: list) -> None:
    called = (
        task.findtext(
            "bpmn:extensionElements/spiffworkflow:calledDecisionId",
            namespaces={"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS},
        )
        or ""
    ).strip()
    if not called:
        foreign = _foreign_decision_reference(task)
        if foreign:
            report("decision_foreign_attribute", task, attribute=foreign)
        else:
            report("decision_not_named", task)
    elif called not in known.decisions and known.all_decisions_known:
        report("decision_missing", task, decision=called)
    if called not in known.runnable_decisions:
        plain.append(task)


def _foreign_decision_reference(task) -> str | None:
    """Where another modeler named the decision (``camunda:decisionRef``, and the like)."""
    prefixes = {ns: prefix for prefix, ns in task.nsmap.items() if prefix}
    for key in task.attrib:
        name = etree.QName(key)
        if name.localname == "decisionRef":
            return f"{prefixes.get(name.namespace, name.namespace)}:decisionRef"
    for element in task.iterfind("{*}extensionElements/{*}calledDecision"):
        name = etree.QName(element)
        return f"{prefixes.get(name.namespace, name.namespace)}:calledDecision"
    return None


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
    tag = _local(element.tag)
    if tag == "boundaryEvent":
        _remove(element)
        return
    outgoing = [c for c in element if _local(c.tag) == "outgoing"]
    if tag in ("startEvent", "endEvent"):
        kind = tag
    elif tag.endswith("Event"):
        kind = "intermediateThrowEvent"
    elif tag in _GATEWAYS or tag in _UNSUPPORTED or len(outgoing) > 1:
        kind = "parallelGateway"
    else:
        kind = "task"
    for child in list(element):
        if _local(child.tag) not in ("incoming", "outgoing"):
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


# --- SpiffWorkflow's parse --------------------------------------------------------------------


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
                if _local(child.tag) not in ("input", "output", "rule"):
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
                _make_plain(element) if _local(element.tag) != "sequenceFlow" else _remove(element)
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


# --- diagram code -----------------------------------------------------------------------------


_BARE_ISO_TIMER = re.compile(
    r"^(R\d*/)?P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$"
)


def _iter_expressions(spec) -> Iterator[tuple[str, str, str, str]]:
    """(element id, kind, code, mode) for every piece of Python a process spec holds."""
    for task_spec in spec.task_specs.values():
        bpmn_id = getattr(task_spec, "bpmn_id", None)
        if bpmn_id is None:
            continue
        for condition, _target in getattr(task_spec, "cond_task_specs", []) or []:
            expression = getattr(condition, "args", [None])[0] if condition is not None else None
            if expression:
                yield bpmn_id, "condition", expression, "eval"
        for attr, kind in (
            ("script", "script"),
            ("prescript", "pre-script"),
            ("postscript", "post-script"),
        ):
            code = getattr(task_spec, attr, None)
            if isinstance(code, str) and code.strip():
                yield bpmn_id, kind, code, "exec"
        for attr, kind in (
            ("cardinality", "multi-instance expression"),
            ("condition", "loop condition"),
        ):
            code = getattr(task_spec, attr, None)
            if isinstance(code, str) and code.strip():
                yield bpmn_id, kind, code, "eval"
        for param in (getattr(task_spec, "operation_params", None) or {}).values():
            value = param.get("value") if isinstance(param, Mapping) else None
            if isinstance(value, str) and value.strip():
                yield bpmn_id, "service parameter", value, "eval"
        for definition in _event_definitions(getattr(task_spec, "event_definition", None)):
            expression = getattr(definition, "expression", None)
            if isinstance(expression, str) and expression.strip():
                kind = (
                    "timer" if isinstance(definition, TimerEventDefinition) else "event expression"
                )
                yield bpmn_id, kind, expression, "eval"
            for prop in getattr(definition, "correlation_properties", None) or []:
                if getattr(prop, "retrieval_expression", None):
                    yield bpmn_id, "correlation expression", prop.retrieval_expression, "eval"


def _event_definitions(definition) -> list:
    if isinstance(definition, MultipleEventDefinition):
        return [d for each in definition.event_definitions for d in _event_definitions(each)]
    return [definition] if definition is not None else []


def _conditions(sources: Mapping[str, Any]) -> dict[tuple[str, str], tuple[str, int, str]]:
    """(gateway id, condition) -> (file, line, id) of the sequence flow that carries it."""
    found = {}
    for name, root in sources.items():
        for flow in root.iter(f"{{{BPMN_NS}}}sequenceFlow"):
            condition = flow.find(f"{{{BPMN_NS}}}conditionExpression")
            if condition is not None and (condition.text or "").strip():
                key = (flow.get("sourceRef"), condition.text.strip())
                found.setdefault(key, (name, flow.sourceline, flow.get("id")))
    return found


def _code_problems(spec, element_index, conditions, default_file, helpers) -> list[Problem]:
    problems = []
    for element_id, kind, code, mode in _iter_expressions(spec):
        file, line = element_index.get(element_id, (default_file, None))
        where = element_id
        if kind == "condition" and (element_id, code.strip()) in conditions:
            file, line, where = conditions[(element_id, code.strip())]
        if kind == "timer" and _BARE_ISO_TIMER.match(code.strip()):
            problems.append(Problem.of("timer_bare_iso", file, line, where, code=code.strip()))
            continue
        for fault in check_code(code, mode, kind, helpers):
            code_name = (
                "timer_invalid" if kind == "timer" and fault.code == "code_invalid" else fault.code
            )
            problems.append(Problem.of(code_name, file, line, where, **fault.params))
    return problems


def _sequence_flows(sources) -> dict[str, dict[str, dict]]:
    flows: dict[str, dict[str, dict]] = {}
    for root in sources.values():
        for process in root.iter(f"{{{BPMN_NS}}}process"):
            mapping = flows.setdefault(process.get("id"), {})
            for flow in process.iter(f"{{{BPMN_NS}}}sequenceFlow"):
                mapping[f"{flow.get('sourceRef')}>{flow.get('targetRef')}"] = {
                    "id": flow.get("id"),
                    "name": flow.get("name"),
                }
    return flows
