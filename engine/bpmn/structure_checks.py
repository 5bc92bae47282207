"""Checks on a diagram's structure that SpiffWorkflow makes poorly or not at all: elements it
does not run, references to nothing, data objects no task can reach, calls to decisions that
no table defines."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from engine.bpmn.diagrams import BPMN_NS, SPIFF_NS
from engine.bpmn.xml_checks import local_name
from engine.problems import Problem

#: The BPMN flow elements (by XML tag) that diagrams may use.
UNSUPPORTED = {"complexGateway": "complex_gateway", "adHocSubProcess": "ad_hoc_subprocess"}


GATEWAY_TAGS = {"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway"}


_BOUNDARY_EVENTS = {
    "cancelEventDefinition",
    "errorEventDefinition",
    "escalationEventDefinition",
    "messageEventDefinition",
    "signalEventDefinition",
    "timerEventDefinition",
    "conditionalEventDefinition",
}


@dataclass(frozen=True)
class KnownNames:
    processes: set[str]  # defined by diagrams that passed the XML checks
    unusable_processes: set[str]  # defined by diagrams with XML problems (reported there)
    decisions: set[str]  # defined by well-formed decision files
    runnable_decisions: set[str]  # defined by decision files without problems
    all_decisions_known: bool  # no decision file is so broken that its decisions are unknown


def structure_problems(name: str, root, known: KnownNames) -> tuple[list[Problem], list, list]:
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
            tag = local_name(el.tag)
            if tag == "sequenceFlow":
                for end, code in (
                    ("sourceRef", "flow_source_missing"),
                    ("targetRef", "flow_target_missing"),
                ):
                    if el.get(end) not in ids:
                        report(code, el, ref=el.get(end))
                        removed.append(el)
            elif tag in UNSUPPORTED:
                report(UNSUPPORTED[tag], el, tag=tag)
                plain.append(el)
            elif tag == "boundaryEvent" and not any(
                local_name(c.tag) in _BOUNDARY_EVENTS for c in el
            ):
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
        if local_name(a.tag) in ("process", "subProcess", "transaction")
    ][:2]
    return {
        obj.get("id")
        for container in containers
        for obj in container.iterfind("bpmn:dataObject", {"bpmn": BPMN_NS})
    }


def _check_decision_call(task, known: KnownNames, report, plain: list) -> None:
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


def names_set_by(diagrams: Mapping[str, Any], tables: Mapping[str, Any]) -> frozenset[str]:
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
