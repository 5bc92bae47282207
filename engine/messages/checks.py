"""The checks on message templates a deployment passes: each message a diagram sends to the
customer needs a template in every language, each internal one a French template, and every
template must render with what the diagrams send (read from their payload expressions without
running them: constants as written, computed values as samples)."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from engine.config import DEFAULT_LANGUAGE, LANGUAGES
from engine.messages.rendering import CUSTOMER
from engine.messages.templates import (
    BASE_VARIABLES,
    MessageTemplateError,
    MessageTemplates,
    Sample,
    Template,
    TemplateRenderError,
    render_parts,
    template_context,
    template_path,
)
from engine.problems import Problem, Wording

_UNKNOWN_AUDIENCE = "?"  # ``to`` is computed: only known when the message is sent


class SentMessage(Protocol):
    """Where a diagram sends a message (``engine.bpmn.diagrams.ThrownMessage``)."""

    @property
    def file(self) -> str: ...
    @property
    def line(self) -> int | None: ...
    @property
    def element_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def payload_expression(self) -> str | None: ...


@dataclass(frozen=True)
class _Sent:
    """A message sent, with what its payload expression tells before it runs."""

    place: SentMessage
    audience: str | None  # the payload's constant "to"; "?" when computed; None when absent
    payload: dict[str, Any] | None  # None: not a dict of named values


def template_problems(files: Mapping[str, str], sent: Iterable[SentMessage]) -> list[Problem]:
    """Broken templates, and messages sent without a template that renders."""
    templates = MessageTemplates(files)
    problems = list(templates.problems)
    by_name: dict[str, list[_Sent]] = {}
    for place in sent:
        audience, payload = _payload_sample(place.payload_expression)
        if audience is not None:
            by_name.setdefault(place.name, []).append(_Sent(place, audience, payload))
    for name, throws in by_name.items():
        for language in _languages_needed(throws):
            if not templates.has(name, language):
                problems.append(_missing_template(name, language, throws[0]))
                continue
            try:
                template = templates.get(name, language)
            except MessageTemplateError:
                continue  # already reported with its file
            problems.extend(_render_problems(template, name, language, throws, templates))
    return problems


def _payload_sample(expression: str | None) -> tuple[str | None, dict[str, Any] | None]:
    """(audience, sample payload) read from a payload expression without running it."""
    if expression is None:
        return None, {}
    try:
        tree = ast.parse(expression.strip(), mode="eval").body
    except SyntaxError:
        return _UNKNOWN_AUDIENCE, None  # the diagram checks report it
    if not isinstance(tree, ast.Dict) or not all(
        isinstance(key, ast.Constant) and isinstance(key.value, str) for key in tree.keys
    ):
        return _UNKNOWN_AUDIENCE, None
    payload: dict[str, Any] = {}
    for key, value in zip(tree.keys, tree.values, strict=True):
        assert isinstance(key, ast.Constant)  # checked above
        try:
            payload[key.value] = ast.literal_eval(value)
        except (ValueError, TypeError, SyntaxError):
            payload[key.value] = Sample()
    to = payload.get("to")
    if "to" not in payload:
        return None, payload
    return (to if isinstance(to, str) else _UNKNOWN_AUDIENCE), payload


def _languages_needed(throws: list[_Sent]) -> tuple[str, ...]:
    internal_only = all(t.audience not in (CUSTOMER, _UNKNOWN_AUDIENCE) for t in throws)
    return (DEFAULT_LANGUAGE,) if internal_only else LANGUAGES


def _missing_template(name: str, language: str, thrown: _Sent) -> Problem:
    for_customer = thrown.audience in (CUSTOMER, _UNKNOWN_AUDIENCE)
    return Problem.of(
        "template_missing",
        thrown.place.file,
        thrown.place.line,
        name,
        language=Wording(f"language_{language}"),
        element=thrown.place.element_id,
        audience=Wording("audience_customer" if for_customer else "audience_team"),
        path=template_path(name, language),
    )


def _render_problems(
    template: Template,
    name: str,
    language: str,
    throws: list[_Sent],
    templates: MessageTemplates,
) -> list[Problem]:
    """Render once per kind of payload the diagrams send; report names no diagram sends."""
    problems = []
    sample_summary = {"customer_name": "Camille Martin", "customer_email": "camille@example.org"}
    tried: set[frozenset[str]] = set()
    for thrown in throws:
        if thrown.payload is None or frozenset(thrown.payload) in tried:
            continue
        tried.add(frozenset(thrown.payload))
        context = template_context(
            thrown.payload,
            sample_summary,
            "REC-2026-000001",
            language,
            organisation=templates.organisation or "Doléance",
            public_url="https://reclamations.example.org",
            time_zone="Europe/Paris",
        )
        try:
            render_parts(template, context)
        except TemplateRenderError as exc:
            problems.append(
                Problem.of(
                    "template_render",
                    template.path,
                    None,
                    name,
                    element=thrown.place.element_id,
                    file=thrown.place.file,
                    detail=exc.detail,
                )
            )
    payloads = [t.payload for t in throws]
    if all(payload is not None for payload in payloads):
        sent = set(BASE_VARIABLES).union(*(p for p in payloads if p is not None))
        unknown = sorted(template.variables - sent)
        if unknown:
            problems.append(
                Problem.of(
                    "template_unknown_names",
                    template.path,
                    None,
                    name,
                    names=", ".join(unknown),
                    sent=", ".join(sorted(sent - set(BASE_VARIABLES))),
                )
            )
    return problems
