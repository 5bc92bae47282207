"""The organisation's process files open cleanly in a modeler and are complete for the engine.

What a process owner opens (bpmn.io, Camunda Modeler, the studio) must show every element
where it belongs: each flow node, lane and sequence flow has its shape or edge, no two
shapes sit on top of each other, and every shape lies inside its lane.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from cli.main import main
from engine.config import PROJECT_ROOT
from engine.services import BUILTIN_ROLES

PROCESSES = PROJECT_ROOT / "processes"
FORMS = PROJECT_ROOT / "forms"
DIAGRAMS = sorted(PROCESSES.glob("*.bpmn"))
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
FLOW_NODES = [
    *("startEvent", "endEvent", "boundaryEvent"),
    *("intermediateThrowEvent", "intermediateCatchEvent"),
    *("task", "userTask", "scriptTask", "serviceTask", "businessRuleTask", "manualTask"),
    *("callActivity", "subProcess", "sendTask", "receiveTask"),
    *("exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway"),
]
ROLE_LANES = {lane for _label, lanes in BUILTIN_ROLES.values() for lane in lanes}


def parse(path: Path):
    return etree.parse(str(path)).getroot()


def flow_nodes(root) -> list:
    return [el for tag in FLOW_NODES for el in root.iterfind(f".//bpmn:process//bpmn:{tag}", NS)]


def bounds(root) -> dict[str, tuple[float, float, float, float]]:
    result = {}
    for shape in root.iterfind(".//bpmndi:BPMNShape", NS):
        box = shape.find("dc:Bounds", NS)
        result[shape.get("bpmnElement")] = tuple(
            float(box.get(k)) for k in ("x", "y", "width", "height")
        )
    return result


def overlap(a, b) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def inside(inner, outer) -> bool:
    ix, iy, iw, ih = inner
    ox, oy, ow, oh = outer
    return ox <= ix and oy <= iy and ix + iw <= ox + ow and iy + ih <= oy + oh


def test_the_process_files_validate():
    files = [str(p) for folder in (PROCESSES, FORMS) for p in sorted(folder.iterdir())]

    result = CliRunner().invoke(main, ["validate", *files, "--forms", str(FORMS)])

    assert result.exit_code == 0, result.output
    assert f"{len(files)} file(s) OK" in result.output


def test_the_five_processes_are_there():
    ids = {parse(p).find("bpmn:process", NS).get("id") for p in DIAGRAMS}

    assert ids == {"complaint", "intake", "evaluation", "customer_checkin", "corrective_action"}


@pytest.mark.parametrize("diagram", DIAGRAMS, ids=lambda p: p.name)
def test_every_node_lane_and_flow_is_drawn(diagram):
    root = parse(diagram)
    shapes = bounds(root)
    edges = {
        e.get("bpmnElement"): e.findall("di:waypoint", NS)
        for e in root.iterfind(".//bpmndi:BPMNEdge", NS)
    }

    nodes = {el.get("id") for el in flow_nodes(root)}
    lanes = {el.get("id") for el in root.iterfind(".//bpmn:lane", NS)}
    flows = {el.get("id") for el in root.iterfind(".//bpmn:sequenceFlow", NS)}

    assert nodes and lanes and flows
    assert nodes - set(shapes) == set()
    assert lanes - set(shapes) == set()
    assert flows - set(edges) == set()
    assert [f for f in flows if len(edges[f]) < 2] == []


@pytest.mark.parametrize("diagram", DIAGRAMS, ids=lambda p: p.name)
def test_no_two_shapes_overlap(diagram):
    root = parse(diagram)
    shapes = bounds(root)
    hosts = {
        el.get("id"): el.get("attachedToRef") for el in root.iterfind(".//bpmn:boundaryEvent", NS)
    }
    ids = sorted(el.get("id") for el in flow_nodes(root))

    clashes = [
        (a, b)
        for i, a in enumerate(ids)
        for b in ids[i + 1 :]
        if overlap(shapes[a], shapes[b]) and hosts.get(a) != b and hosts.get(b) != a
    ]

    assert clashes == []


@pytest.mark.parametrize("diagram", DIAGRAMS, ids=lambda p: p.name)
def test_every_shape_lies_in_its_lane_and_every_lane_is_a_role(diagram):
    root = parse(diagram)
    shapes = bounds(root)

    misplaced = []
    for lane in root.iterfind(".//bpmn:lane", NS):
        assert lane.get("name") in ROLE_LANES
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            if not inside(shapes[ref.text], shapes[lane.get("id")]):
                misplaced.append(ref.text)
    laned = {ref.text for ref in root.iterfind(".//bpmn:flowNodeRef", NS)}
    unlaned = {el.get("id") for el in flow_nodes(root)} - laned

    assert misplaced == []
    assert unlaned == set()


@pytest.mark.parametrize("diagram", DIAGRAMS, ids=lambda p: p.name)
def test_every_timer_names_its_clock_and_role_and_calls_the_policy(diagram):
    root = parse(diagram)

    for definition in root.iterfind(".//bpmn:timerEventDefinition", NS):
        event = definition.getparent()
        properties = {
            p.get("name"): p.get("value") for p in event.iterfind(".//spiffworkflow:property", NS)
        }
        expression = "".join(definition.itertext()).strip()
        assert properties.get("clock"), event.get("id")
        assert properties.get("clock_role") in {"warning", "breach", "reminder"}, event.get("id")
        assert "policy(" in expression or "deadline(" in expression or "warning(" in expression


@pytest.mark.parametrize("diagram", DIAGRAMS, ids=lambda p: p.name)
def test_every_user_task_has_an_existing_form(diagram):
    root = parse(diagram)

    for task in root.iterfind(".//bpmn:userTask", NS):
        forms = [
            p.get("value")
            for p in task.iterfind(".//spiffworkflow:property", NS)
            if p.get("name") == "form"
        ]
        assert len(forms) == 1, task.get("id")
        form = json.loads((FORMS / forms[0]).read_text(encoding="utf-8"))
        assert form["fields"], forms[0]


@pytest.mark.parametrize("diagram", DIAGRAMS, ids=lambda p: p.name)
def test_every_activity_and_event_has_a_name_and_an_english_description(diagram):
    root = parse(diagram)

    unnamed = [
        el.get("id")
        for el in flow_nodes(root)
        if "Gateway" not in etree.QName(el).localname
        and not (el.get("name") and el.findtext("bpmn:documentation", namespaces=NS))
    ]

    assert unnamed == []
