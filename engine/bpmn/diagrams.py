"""Reading BPMN diagrams as XML, without running them: what the trace draws a path on, and the
messages a diagram throws (checked against the message templates before deployment).

Nothing here needs SpiffWorkflow: this is the BPMN 2.0 notation itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"


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
