"""What changed in a diagram or a decision table, element by element, and whether two texts
of one say the same (an XML file saved back by an editor differs only in its layout)."""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from engine.bpmn.diagrams import BPMN_NS
from engine.services.studio.changes import Detail, ElementChange
from engine.services.studio.files import file_kind


def same_content(name: str, deployed: str | None, text: str) -> bool:
    """Whether ``text`` says what the deployed file says (an XML file saved back by an editor
    differs only in layout of the text: indentation, quotes, entities, attribute order)."""
    if deployed is None or deployed == text:
        return deployed == text
    if file_kind(name) not in ("diagram", "decision"):
        return False
    old, new = _parse_xml(deployed), _parse_xml(text)
    return old is not None and new is not None and _xml_content(old) == _xml_content(new)


def _xml_content(element) -> tuple:
    """What an element says. In the layout part, the order of shapes and what modelers add
    on their own (``isHorizontal``, ``isMarkerVisible``, empty labels) do not count."""
    layout = _is_layout(element)
    attributes = sorted(
        (key, value)
        for key, value in element.attrib.items()
        if not (layout and value == "true" and _attr_name(key) in _LAYOUT_DEFAULTS)
    )
    children = [
        _xml_content(child)
        for child in element
        if isinstance(child.tag, str) and not (layout and _is_empty(child))
    ]
    return (
        element.tag,
        attributes,
        (element.text or "").strip(),
        sorted(children, key=repr) if layout else children,
    )


def _is_empty(element) -> bool:
    return not element.attrib and not (element.text or "").strip() and not len(element)


_LAYOUT_NAMESPACES = ("/DI", "/DC", "DMNDI")  # BPMNDI, DMNDI, DC, DI: positions and sizes


_LAYOUT_DEFAULTS = ("isHorizontal", "isMarkerVisible")


_BPMN_PARTS = {"laneSet", "ioSpecification", "inputSet", "outputSet", "dataInput", "dataOutput"}


_DMN_NAMED_BY = {"decision": "name", "input": "label", "output": "label"}


def _is_layout(element) -> bool:
    namespace = etree.QName(element).namespace or ""
    return any(marker in namespace for marker in _LAYOUT_NAMESPACES)


def _local(element) -> str:
    return etree.QName(element).localname


def _parse_xml(text: str | None):
    if text is None:
        return None
    try:
        parser = etree.XMLParser(  # one per call: lxml parsers are not shared across threads
            remove_blank_text=True, resolve_entities=False, no_network=True, remove_comments=True
        )
        return etree.fromstring(text.encode("utf-8"), parser)
    except etree.XMLSyntaxError:
        return None


def _canonical(element, skip: Callable[[object], bool]) -> str:
    """A stable text of an element's content, leaving out the descendants ``skip`` names."""
    parts = [_local(element)]
    parts += [f"@{_attr_name(k)}={v}" for k, v in sorted(element.attrib.items())]
    if (element.text or "").strip():
        parts.append(element.text.strip())
    for child in element:
        if isinstance(child.tag, str) and not skip(child):
            parts.append("(" + _canonical(child, skip) + ")")
    return " ".join(parts)


def _attr_name(key: str) -> str:
    return etree.QName(key).localname


def _xml_diff(reported, named, aspects) -> Callable:
    """An element differ for one XML dialect.

    ``reported(element)`` tells the elements listed on their own (the others belong to their
    parent); ``named(element)`` gives an element's human name; ``aspects(element, root)``
    maps (aspect, label) to a text for everything a person may have changed on it.
    """

    def elements_of(root) -> dict[str, object]:
        if root is None:
            return {}
        return {
            el.get("id"): el
            for el in root.iter()
            if isinstance(el.tag, str)
            and el is not root
            and el.get("id")
            and not _is_layout(el)
            and reported(el)
        }

    def layout_of(root) -> list[tuple]:
        if root is None:
            return []
        return [_xml_content(el) for el in root if isinstance(el.tag, str) and _is_layout(el)]

    def diff(before: str | None, after: str | None) -> tuple[list[ElementChange], bool]:
        old_root, new_root = _parse_xml(before), _parse_xml(after)
        old, new = elements_of(old_root), elements_of(new_root)
        changes = []
        for element_id in [*old, *(i for i in new if i not in old)]:
            was, now = old.get(element_id), new.get(element_id)
            element = now if now is not None else was
            if was is None or now is None:
                changes.append(
                    ElementChange(
                        "added" if was is None else "removed",
                        element_id,
                        named(element),
                        _local(element),
                    )
                )
                continue
            old_aspects, new_aspects = aspects(was, old_root), aspects(now, new_root)
            details = tuple(
                Detail(aspect, label, old_aspects.get(key), new_aspects.get(key))
                for key in sorted(old_aspects.keys() | new_aspects.keys(), key=_aspect_order)
                for aspect, label in [key]
                if old_aspects.get(key) != new_aspects.get(key)
            )
            if details:
                changes.append(
                    ElementChange("changed", element_id, named(now), _local(now), details)
                )
        layout_changed = (
            old_root is not None
            and new_root is not None
            and layout_of(old_root) != layout_of(new_root)
        )
        return changes, layout_changed

    return diff


def _aspect_order(key: tuple[str, str | None]) -> tuple[str, str]:
    return key[0], key[1] or ""


def _bpmn_reported(element) -> bool:
    name = _local(element)
    return (
        etree.QName(element).namespace == BPMN_NS
        and name not in _BPMN_PARTS
        and not name.endswith("EventDefinition")
        and name not in ("definitions", "extensionElements")
    )


def _bpmn_named(element) -> str | None:
    return element.get("name") or None


def _text(element) -> str:
    return (element.text or "").strip()


def _bpmn_aspects(element, root) -> dict[tuple[str, str | None], str]:
    aspects: dict[tuple[str, str | None], str] = {}
    for key, value in element.attrib.items():
        name = _attr_name(key)
        if name != "id":
            aspects[("name", None) if name == "name" else ("attribute", name)] = value
    connections: list[str] = []
    for child in element:
        if not isinstance(child.tag, str) or _bpmn_reported_with_id(child):
            continue
        name = _local(child)
        if name in ("incoming", "outgoing"):
            connections.append(f"{name}:{_text(child)}")
        elif name == "flowNodeRef":
            continue  # lane membership is shown on the element that moved
        elif name in ("documentation", "conditionExpression", "script"):
            aspect = {"conditionExpression": "condition"}.get(name, name)
            aspects[(aspect, None)] = _text(child)
        elif name == "extensionElements":
            aspects.update(_extension_aspects(child))
        elif name.endswith("EventDefinition"):
            aspects.update(_event_aspects(child))
        else:
            aspects[("content", name)] = _canonical(child, _bpmn_reported_with_id)
    if connections:
        aspects[("connections", None)] = " ".join(sorted(connections))
    lane = _lane_of(element, root)
    if lane is not None:
        aspects[("lane", None)] = lane
    return aspects


def _bpmn_reported_with_id(element) -> bool:
    return bool(element.get("id")) and _bpmn_reported(element)


def _extension_aspects(extensions) -> dict[tuple[str, str | None], str]:
    aspects = {}
    for child in extensions:
        if not isinstance(child.tag, str):
            continue
        name = _local(child)
        if name == "properties":
            for prop in child:
                if isinstance(prop.tag, str):
                    aspects[("property", prop.get("name"))] = prop.get("value") or _text(prop)
        elif len(child) or child.attrib:
            aspects[("extension", name)] = _canonical(child, lambda _: False)
        else:
            aspects[("extension", name)] = _text(child)
    return aspects


def _event_aspects(definition) -> dict[tuple[str, str | None], str]:
    aspects = {}
    rest = []
    for child in definition:
        if not isinstance(child.tag, str):
            continue
        if _local(child) in ("timeDate", "timeDuration", "timeCycle"):
            aspects[("timer", _local(child))] = _text(child)
        elif _local(child) == "extensionElements":
            aspects.update(_extension_aspects(child))
        else:
            rest.append(_canonical(child, lambda _: False))
    attributes = [f"{_attr_name(k)}={v}" for k, v in sorted(definition.attrib.items())]
    attributes = [a for a in attributes if not a.startswith("id=")]
    if rest or attributes:
        aspects[("event", _local(definition))] = " ".join(attributes + rest)
    return aspects


def _lane_of(element, root) -> str | None:
    element_id = element.get("id")
    for lane in root.iter("{*}lane"):
        if any(_is_tag(ref, "flowNodeRef") and _text(ref) == element_id for ref in lane):
            return lane.get("name") or lane.get("id")
    return None


def _dmn_reported(element) -> bool:
    return _local(element) in ("decision", "decisionTable", "input", "output", "rule")


def _dmn_named(element) -> str | None:
    if _local(element) == "rule":
        descriptions = [_text(c) for c in element if _is_tag(c, "description")]
        return descriptions[0] if descriptions and descriptions[0] else None
    attribute = _DMN_NAMED_BY.get(_local(element))
    return (element.get(attribute) or element.get("name")) if attribute else None


def _is_tag(element, name: str) -> bool:
    return isinstance(element.tag, str) and _local(element) == name


def _dmn_aspects(element, _root) -> dict[tuple[str, str | None], str]:
    aspects: dict[tuple[str, str | None], str] = {}
    for key, value in element.attrib.items():
        name = _attr_name(key)
        if name != "id":
            aspects[("name", None) if name in ("name", "label") else ("attribute", name)] = value
    if _local(element) == "rule":
        aspects.update(_rule_aspects(element))
        return aspects
    for child in element:
        if not isinstance(child.tag, str) or _dmn_reported(child):
            continue
        name = _local(child)
        if name == "inputExpression":
            aspects[("expression", None)] = _entry_text(child)
            if child.get("typeRef"):
                aspects[("attribute", "typeRef")] = child.get("typeRef")
        elif name == "description":
            aspects[("description", None)] = _text(child)
        else:
            aspects[("content", name)] = _canonical(child, _dmn_reported)
    return aspects


def _rule_aspects(rule) -> dict[tuple[str, str | None], str]:
    """A rule's place in its table (the first match wins), its description, and each cell
    under the label of its column."""
    table = rule.getparent()
    rules = [c for c in table if _is_tag(c, "rule")]
    aspects = {("position", None): str(rules.index(rule) + 1)}
    for column_tag, entry_tag in (("input", "inputEntry"), ("output", "outputEntry")):
        columns = [c for c in table if _is_tag(c, column_tag)]
        for index, entry in enumerate(c for c in rule if _is_tag(c, entry_tag)):
            column = columns[index] if index < len(columns) else None
            label = (
                f"#{index + 1}"
                if column is None
                else (column.get("label") or column.get("name") or column.get("id"))
            )
            aspects[("cell", label)] = _entry_text(entry)
    descriptions = [_text(c) for c in rule if _is_tag(c, "description")]
    if descriptions:
        aspects[("description", None)] = descriptions[0]
    return aspects


def _entry_text(entry) -> str:
    texts = [_text(c) for c in entry if _is_tag(c, "text")]
    return texts[0] if texts else _text(entry)


#: The element differs of diagrams and of decision tables.
diagram_changes = _xml_diff(_bpmn_reported, _bpmn_named, _bpmn_aspects)
decision_changes = _xml_diff(_dmn_reported, _dmn_named, _dmn_aspects)
