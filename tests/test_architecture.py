"""The code keeps its own rules: nobody borrows another module's private names, no module grows
past what one reader takes in, and nothing is named like a module of the standard library."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from engine.config import PROJECT_ROOT

OWN_PACKAGES = ("engine", "webui", "cli", "tests", "bench")
MAX_LINES = 600  # split by responsibility well before: about 400 lines


def python_files(*packages: str) -> list[Path]:
    return sorted(
        path
        for package in packages
        for path in (PROJECT_ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    )


def own_module(name: str) -> bool:
    return name.split(".")[0] in OWN_PACKAGES


def private_borrowings(path: Path) -> list[str]:
    """``from our.module import _name`` and ``our_module._name`` in one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    modules: set[str] = set()  # local names bound to one of our modules
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if own_module(alias.name):
                    modules.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and own_module(node.module):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"line {node.lineno}: from {node.module} import {alias.name}")
                else:
                    modules.add(alias.asname or alias.name)  # a submodule, or a public name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    return found


@pytest.mark.parametrize(
    "path", python_files(*OWN_PACKAGES), ids=lambda p: str(p.relative_to(PROJECT_ROOT))
)
def test_no_module_borrows_another_modules_private_names(path):
    assert private_borrowings(path) == []


def test_the_check_finds_a_borrowed_private_name(tmp_path):
    borrowing = tmp_path / "borrowing.py"
    borrowing.write_text(
        "from engine.runtime import complaints\n"
        "from engine.runtime.complaints import _missing_task\n"
        "complaints._missing_task(None, 'x')\n"
        "'text'._private\n"  # not one of our modules
    )

    assert private_borrowings(borrowing) == [
        "line 2: from engine.runtime.complaints import _missing_task",
        "line 3: complaints._missing_task",
    ]


def test_no_module_passes_six_hundred_lines():
    long = {
        str(path.relative_to(PROJECT_ROOT)): lines
        for path in python_files("engine", "webui", "cli")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_nothing_is_named_like_a_standard_library_module():
    taken = {
        path.stem if path.stem != "__init__" else path.parent.name
        for path in python_files("engine", "webui", "cli")
    }
    assert sorted(taken & sys.stdlib_module_names) == []
