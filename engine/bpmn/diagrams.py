"""Reading BPMN diagrams as XML, without running them: what the trace draws a path on, and the
messages a diagram throws (checked against the message templates before deployment).

Nothing here needs SpiffWorkflow: this is the BPMN 2.0 notation itself.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lxml import etree

from engine.db.models import ProcessVersion
from engine.errors import NotFound

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
#: The elements a token passes through (gateways apart, see GATEWAYS).
FLOW_NODE_TYPES = frozenset(
    {
        "startEvent",
        "endEvent",
        "intermediateCatchEvent",
        "intermediateThrowEvent",
        "boundaryEvent",
        "task",
        "userTask",
        "manualTask",
        "scriptTask",
        "serviceTask",
        "sendTask",
        "receiveTask",
        "businessRuleTask",
        "callActivity",
        "subProcess",
        "transaction",
        "exclusiveGateway",
        "inclusiveGateway",
        "parallelGateway",
        "eventBasedGateway",
    }
)


@dataclass(frozen=True)
class ThrownMessage:
    """A place where a diagram sends a message: its element and the payload it computes."""

    file: str
    line: int | None
    element_id: str
    name: str
    payload_expression: str | None  # the spiffworkflow:messagePayload, as written


def thrown_messages(files: Mapping[str, str]) -> list[ThrownMessage]:
    """Every message the diagrams throw (intermediate or end events, send tasks), in order."""
    found = []
    for file_name, text in sorted(files.items()):
        if not file_name.endswith(".bpmn"):
            continue
        try:
            root = etree.fromstring(text.encode("utf-8"))
        except etree.XMLSyntaxError:
            continue  # the diagram checks report it
        found.extend(_thrown_in(file_name, root))
    return found


def _thrown_in(file_name: str, root: etree._Element) -> Iterable[ThrownMessage]:
    bpmn = f"{{{BPMN_NS}}}"
    messages = {m.get("id"): m for m in root.iter(f"{bpmn}message")}
    throwing = root.iter(f"{bpmn}intermediateThrowEvent", f"{bpmn}endEvent", f"{bpmn}sendTask")
    for element in throwing:
        carriers = element.findall(f"{bpmn}messageEventDefinition")
        if element.get("messageRef"):
            carriers.append(element)
        for carrier in carriers:
            message = messages.get(carrier.get("messageRef"))
            if message is None or not message.get("name"):
                continue  # the diagram checks report a dangling reference
            yield ThrownMessage(
                file_name,
                element.sourceline,
                element.get("id") or "",
                message.get("name"),
                _payload_expression(message) or _payload_expression(carrier),
            )


def _payload_expression(node: etree._Element) -> str | None:
    found = node.find(f".//{{{SPIFF_NS}}}messagePayload")
    return found.text if found is not None and found.text else None


# --- the processes of a version, as the trace draws them -------------------------------------

GATEWAYS = frozenset(
    {
        "exclusiveGateway",
        "inclusiveGateway",
        "parallelGateway",
        "eventBasedGateway",
        "complexGateway",
    }
)


FLOW_NODES = FLOW_NODE_TYPES | GATEWAYS  # what a path goes through


@dataclass(frozen=True)
class DiagramElement:
    id: str
    type: str  # the BPMN tag: userTask, exclusiveGateway, boundaryEvent…
    name: str | None
    incoming: tuple[str, ...]  # sequence flow ids
    outgoing: tuple[str, ...]
    attached_to: str | None = None
    called_process: str | None = None
    trigger: str | None = None  # an event's definition: timer, message, error, signal…

    @property
    def is_gateway(self) -> bool:
        return self.type in GATEWAYS


@dataclass(frozen=True)
class DiagramFlow:
    id: str
    source: str
    target: str
    name: str | None


@dataclass(frozen=True)
class ProcessDiagram:
    """One process of a deployed version: its elements and sequence flows, and its file."""

    process_id: str
    name: str | None
    file: str
    elements: dict[str, DiagramElement]
    flows: dict[str, DiagramFlow]

    def flow_between(self, source: str, target: str) -> str | None:
        for flow in self.flows.values():
            if flow.source == source and flow.target == target:
                return flow.id
        return None


_DIAGRAMS: OrderedDict[str, dict[str, ProcessDiagram]] = OrderedDict()


_DIAGRAM_CACHE_SIZE = 32


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def diagrams_of(version: ProcessVersion) -> dict[str, ProcessDiagram]:
    """Every process of a version's BPMN files, by process id (parsed once per version)."""
    cached = _DIAGRAMS.get(version.content_hash)
    if cached is None:
        cached = _DIAGRAMS[version.content_hash] = _parse_diagrams(version.files)
        if len(_DIAGRAMS) > _DIAGRAM_CACHE_SIZE:
            _DIAGRAMS.popitem(last=False)
    _DIAGRAMS.move_to_end(version.content_hash)
    return cached


def diagram_file(version: ProcessVersion, process_id: str) -> tuple[str, str]:
    """(file name, BPMN XML) of the file that defines ``process_id`` in this version."""
    diagram = diagrams_of(version).get(process_id)
    if diagram is None:
        raise NotFound(f"process '{process_id}' is not part of version {version.number}")
    return diagram.file, version.files[diagram.file]


def _parse_diagrams(files: dict[str, str]) -> dict[str, ProcessDiagram]:
    diagrams = {}
    for name, text in sorted(files.items()):
        if not name.endswith(".bpmn"):
            continue
        root = etree.fromstring(text.encode("utf-8"), _PARSER)
        for process in root.iter(f"{{{BPMN_NS}}}process"):
            diagram = _parse_process(process, name)
            diagrams[diagram.process_id] = diagram
    return diagrams


def _parse_process(process, file_name: str) -> ProcessDiagram:
    """A process and everything nested in it (an embedded sub-process draws on the same
    diagram)."""
    flows, nodes = {}, []
    incoming: dict[str, list[str]] = {}
    outgoing: dict[str, list[str]] = {}
    for element in process.iter():
        if not isinstance(element.tag, str) or not element.get("id"):
            continue
        tag = etree.QName(element.tag).localname
        if tag == "sequenceFlow":
            flow = DiagramFlow(
                element.get("id"),
                element.get("sourceRef"),
                element.get("targetRef"),
                element.get("name"),
            )
            flows[flow.id] = flow
            outgoing.setdefault(flow.source, []).append(flow.id)
            incoming.setdefault(flow.target, []).append(flow.id)
        elif tag in FLOW_NODES:
            nodes.append((tag, element))
    elements = {}
    for tag, element in nodes:
        element_id = element.get("id")
        elements[element_id] = DiagramElement(
            id=element_id,
            type=tag,
            name=element.get("name"),
            incoming=tuple(incoming.get(element_id, ())),
            outgoing=tuple(outgoing.get(element_id, ())),
            attached_to=element.get("attachedToRef"),
            called_process=element.get("calledElement"),
            trigger=_trigger(element),
        )
    return ProcessDiagram(process.get("id"), process.get("name"), file_name, elements, flows)


def _trigger(element) -> str | None:
    for child in element:
        if isinstance(child.tag, str):
            name = etree.QName(child.tag).localname
            if name.endswith("EventDefinition"):
                return name.removesuffix("EventDefinition")
    return None


def process_of_element(
    diagrams: dict[str, ProcessDiagram], element_id: str | None, preferred: str
) -> str:
    """The process that holds ``element_id`` (``preferred`` when it does, or when none does)."""
    if element_id is None or element_id in diagrams.get(preferred, NO_DIAGRAM).elements:
        return preferred
    for process_id, diagram in diagrams.items():
        if element_id in diagram.elements:
            return process_id
    return preferred


NO_DIAGRAM = ProcessDiagram("", None, "", {}, {})
