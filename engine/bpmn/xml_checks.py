"""The first ring of checks on a diagram or decision table: well-formed XML in the right
namespace, valid against its schema (every error, with its line), and the small readers of
XML the other rings share."""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as SPIFF_DMN_SCHEMAS
from SpiffWorkflow.spiff.parser import VALIDATOR

from engine.bpmn.diagrams import BPMN_NS, SPIFF_NS
from engine.problems import Problem, Wording

XSD_NS = "http://www.w3.org/2001/XMLSchema"


DMN11_NS = "http://www.omg.org/spec/DMN/20151101/dmn.xsd"


DMN12_NS = "http://www.omg.org/spec/DMN/20180521/MODEL/"


DMN13_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"


#: The DMN versions the engine reads, by namespace.
DMN_NAMESPACES = {DMN11_NS: "1.1", DMN12_NS: "1.2", DMN13_NS: "1.3"}


LATER_DMN = {
    "https://www.omg.org/spec/DMN/20211108/MODEL/": "1.4",
    "https://www.omg.org/spec/DMN/20230324/MODEL/": "1.5",
}


_XSD_DIR = Path(__file__).parent / "xsd"


_PREFIXES = {BPMN_NS: "bpmn", SPIFF_NS: "spiffworkflow", **dict.fromkeys(DMN_NAMESPACES, "dmn")}


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


DMN_SCHEMAS = {ns: _Schema(functools.partial(_dmn_xsd, ns)) for ns in DMN_NAMESPACES}


def bpmn_file_problems(name: str, root) -> list[Problem]:
    if root.tag != f"{{{BPMN_NS}}}definitions":
        found = readable_tag(root)
        return [
            Problem.of("not_bpmn_file", name, root.sourceline, None, found=found, namespace=BPMN_NS)
        ]
    VALIDATOR.preprocess(root)  # what bpmn-js writes for correlations, made valid BPMN
    return schema_problems(name, root, _BPMN_SCHEMA, "bpmn_schema")


_DUPLICATE_ID = re.compile(
    r"attribute 'id': '(.*)' is not a valid value of the atomic type 'xs:ID'"
)


def schema_problems(name: str, root, schema: _Schema, code: str) -> list[Problem]:
    problems = []
    for line, message in schema.errors(root):
        duplicate = _DUPLICATE_ID.search(message)
        if duplicate:
            problem = Problem.of("duplicate_id", name, line, duplicate[1], id=duplicate[1])
        else:
            problem = Problem.of(code, name, line, None, detail=_readable(message, root))
        problems.append(_located(problem, root))
    return dedupe(problems)


def _readable(message: str, root) -> str:
    """An XML message with ``{namespace}`` written as the prefix a person knows."""
    prefixes = {ns: prefix for prefix, ns in root.nsmap.items() if prefix} | _PREFIXES
    return re.sub(
        r"\{([^}]*)\}", lambda m: f"{prefixes[m[1]]}:" if m[1] in prefixes else m[0], message
    )


def readable_tag(element) -> str:
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


def local_name(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def ids_in(sources: Mapping[str, Any], tag: str, any_namespace: bool = False) -> set[str]:
    pattern = f"{{*}}{tag}" if any_namespace else f"{{{BPMN_NS}}}{tag}"
    return {el.get("id") for root in sources.values() for el in root.iter(pattern) if el.get("id")}


def index_elements(sources: Mapping[str, Any]) -> dict[str, tuple[str, int]]:
    index = {}
    for name, root in sources.items():
        for el in root.iter():
            if isinstance(el.tag, str) and el.get("id"):
                index.setdefault(el.get("id"), (name, el.sourceline))
    return index


def read_as_dmn(root) -> bool:
    """Whether the decisions of a file can be read: its root is DMN ``<definitions>``."""
    name = etree.QName(root)
    return name.localname == "definitions" and name.namespace in DMN_NAMESPACES


def dedupe(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))
