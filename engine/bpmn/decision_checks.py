"""Checks on decision tables that SpiffWorkflow makes poorly or not at all: DMN features it
does not run, hit policies, every cell of every rule, decisions defined twice."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from typing import Any

from lxml import etree

from engine.bpmn.diagram_code import check_code, free_names, shorten
from engine.bpmn.sandbox import provided_names
from engine.bpmn.xml_checks import (
    DMN13_NS,
    DMN_SCHEMAS,
    LATER_DMN,
    local_name,
    read_as_dmn,
    readable_tag,
    schema_problems,
)
from engine.problems import Problem


def dmn_file_problems(name: str, root, helpers: frozenset[str]) -> list[Problem]:
    namespace, local = etree.QName(root).namespace, etree.QName(root).localname
    if local == "definitions" and namespace in LATER_DMN:
        version = LATER_DMN[namespace]
        return [Problem.of("dmn_version", name, root.sourceline, root.get("id"), version=version)]
    if not read_as_dmn(root):
        found = readable_tag(root)
        return [
            Problem.of("not_dmn_file", name, root.sourceline, None, found=found, namespace=DMN13_NS)
        ]
    problems = schema_problems(name, root, DMN_SCHEMAS[namespace], "dmn_schema")
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
                if isinstance(c.tag, str) and local_name(c.tag) not in _DECISION_PARTS
            ),
            None,
        )
        if logic is None:
            return [*problems, problem("dmn_no_table", decision, decision=decision.get("id"))]
        return [*problems, problem("dmn_not_a_table", logic, tag=local_name(logic.tag))]
    policy = (table.get("hitPolicy") or "UNIQUE").upper()
    if policy not in _HIT_POLICIES:
        problems.append(problem("dmn_hit_policy", table, policy=policy))
    elif policy == "COLLECT" and table.get("aggregation"):
        problems.append(problem("dmn_aggregation", table, aggregation=table.get("aggregation")))
    inputs, outputs = table.findall("dmn:input", ns), table.findall("dmn:output", ns)
    rules = table.findall("dmn:rule", ns)
    entries = [
        e for rule in rules for e in rule if local_name(e.tag) in ("inputEntry", "outputEntry")
    ]
    problems.extend(
        problem("dmn_missing_id", el, tag=local_name(el.tag))
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
    input_cell = local_name(cell.tag) == "inputEntry"
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


def duplicate_decisions(tables: Mapping[str, Any]) -> list[Problem]:
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
