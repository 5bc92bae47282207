"""Checks on a deployment's files before they are deployed: diagrams, decision tables, forms,
the policy and message templates, each with the others it refers to.

Each domain package checks its own files (``engine.bpmn.parsing`` the diagrams and decision
tables, ``engine.forms`` the forms, ``engine.rules.policy`` the policy, ``engine.messages``
the templates); this module reads a deployment's files, runs every check, and the checks that
join two of them (a form a diagram shows exists, every message a diagram sends has a template
that renders with what it sends, diagram code calls only the helpers a complaint gets).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from engine.bpmn.diagrams import thrown_messages
from engine.bpmn.parsing import ParsedDeployment, decision_file_problems, parse_deployment
from engine.errors import NotFound
from engine.forms import FormDefinitionError, parse_form_definition
from engine.messages.checks import template_problems
from engine.messages.templates import MESSAGES_FOLDER, MESSAGES_PREFIX, read_templates
from engine.problems import Problem
from engine.rules.policy import PolicyError, parse_policy
from engine.runtime.process_helpers import script_helper_names

FORMS_PREFIX = "forms/"
PROCESS_SUFFIXES = (".bpmn", ".dmn")


def read_deployment_files(processes_dir: Path, forms_dir: Path) -> dict[str, str]:
    """The files of a deployment: diagrams and tables by name, forms as ``forms/<name>``,
    message templates as ``messages/<language>/<name>.txt``."""
    if not processes_dir.is_dir():
        raise NotFound(f"process folder '{processes_dir}' does not exist")
    files = {
        p.name: p.read_text(encoding="utf-8")
        for p in sorted(processes_dir.iterdir())
        if p.is_file() and p.suffix in (*PROCESS_SUFFIXES, ".toml")
    }
    if forms_dir.is_dir():
        files.update(
            {
                FORMS_PREFIX + p.name: p.read_text(encoding="utf-8")
                for p in sorted(forms_dir.glob("*.json"))
            }
        )
    files.update(read_templates(processes_dir / MESSAGES_FOLDER))
    return files


def validate_files(files: Mapping[str, str]) -> list[Problem]:
    """Every problem in a deployment's files; an empty list means it can be deployed."""
    return check_deployment(files)[1]


def check_deployment(files: Mapping[str, str]) -> tuple[ParsedDeployment | None, list[Problem]]:
    """Parse a deployment's files and list every problem; the parse is usable only without any."""
    problems: list[Problem] = []
    forms = {
        name[len(FORMS_PREFIX) :]: text
        for name, text in files.items()
        if name.startswith(FORMS_PREFIX)
    }
    for name, text in forms.items():
        problems.extend(_form_problems(name, text))
    for name, text in files.items():
        if name.endswith(".toml"):
            problems.extend(_policy_problems(name, text))
    parsed, diagram_problems = parse_deployment(files, script_helper_names() | _form_keys(forms))
    problems.extend(diagram_problems)
    # every message sent has a template that renders with what it sends
    problems.extend(template_problems(files, thrown_messages(files)))
    if parsed is not None:
        for form, elements in sorted(parsed.forms_used.items()):
            if form not in forms:
                problems.extend(
                    Problem.of("form_missing", *_location_of(files, element), element, form=form)
                    for element in elements
                )
    return (parsed if not problems else None), problems


def validate_paths(paths: Iterable[Path], forms_dir: Path | None = None) -> list[Problem]:
    """Check files named on the command line. Diagrams are checked as deploy would check them:
    with the decision tables, policy and message templates beside them, and the forms in
    ``forms_dir``; files named without a diagram are each checked on their own."""
    files: dict[str, str] = {}
    problems: list[Problem] = []
    for path in map(Path, paths):
        if path.is_dir() and path.name == MESSAGES_FOLDER:  # `processes/*` names the templates
            files.update(read_templates(path))
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            problems.append(Problem.of("no_such_file", str(path), None, None))
            continue
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem.of("unreadable", str(path), None, None, reason=exc))
            continue
        if path.suffix == ".json":
            files[FORMS_PREFIX + path.name] = text
        elif path.suffix in PROCESS_SUFFIXES or path.suffix == ".toml":
            files[str(path)] = text
        else:
            problems.append(Problem.of("unknown_kind", str(path), None, None))
    diagrams = [Path(name) for name in files if name.endswith(".bpmn")]
    if not diagrams:
        for name, text in files.items():  # no diagram: check each file on its own
            if name.startswith(FORMS_PREFIX):
                problems.extend(_form_problems(name[len(FORMS_PREFIX) :], text))
            elif name.endswith(".toml"):
                problems.extend(_policy_problems(name, text))
        problems.extend(decision_file_problems(files, script_helper_names()))
        problems.extend(template_problems(files, thrown_messages(files)))
        return problems
    templates_named = any(name.startswith(MESSAGES_PREFIX) for name in files)
    for folder in dict.fromkeys(diagram.parent for diagram in diagrams):
        for beside in sorted(folder.iterdir()):  # what deploy would take from the same folder
            if beside.is_file() and beside.suffix in (".dmn", ".toml"):
                files.setdefault(str(beside), beside.read_text(encoding="utf-8"))
        if not templates_named:
            for name, text in read_templates(folder / MESSAGES_FOLDER).items():
                files.setdefault(name, text)
    if forms_dir is not None and forms_dir.is_dir():  # forms the diagrams use
        for form in forms_dir.glob("*.json"):
            files.setdefault(FORMS_PREFIX + form.name, form.read_text(encoding="utf-8"))
    problems.extend(validate_files(files))
    return problems


def _form_keys(forms: Mapping[str, str]) -> frozenset[str]:
    """The task data the forms fill in: the keys of their fields (of the forms that parse)."""
    keys: set[str] = set()
    for name, text in forms.items():
        try:
            keys.update(f.key for f in parse_form_definition(text, name).fields)
        except FormDefinitionError:
            continue  # reported with the form
    return frozenset(keys)


def _form_problems(name: str, text: str) -> list[Problem]:
    try:
        parse_form_definition(text, name)
    except FormDefinitionError as exc:
        return [
            Problem(
                FORMS_PREFIX + p.file if not p.file.startswith(FORMS_PREFIX) else p.file,
                p.line,
                p.field,
                p.message,
            )
            for p in exc.problems
        ]
    return []


def _policy_problems(name: str, text: str) -> list[Problem]:
    try:
        parse_policy(text, name)
    except PolicyError as exc:
        return exc.problems
    return []


def _location_of(files: Mapping[str, str], element_id: str) -> tuple[str, int | None]:
    """The file and line where a diagram element is defined."""
    needle = f'id="{element_id}"'
    for name, text in files.items():
        if name.endswith(".bpmn") and needle in text:
            return name, text[: text.index(needle)].count("\n") + 1
    return "(deployment)", None
