"""Diagrams and decision tables nobody here wrote, fed to `doleance validate` one by one: each
gets "OK" or one line per problem (file:line: element: message), never a traceback."""

from __future__ import annotations

import re
import shutil

import pytest
from click.testing import CliRunner

from tests.conftest import DATA
from webui.cli import main as doleance

FOREIGN = DATA / "foreign"
FILES = sorted(p for p in FOREIGN.rglob("*") if p.suffix in (".bpmn", ".dmn"))
PROBLEM_LINE = re.compile(r"^(?P<file>[^:]+)(:\d+)?: \S+: \S.*$")


def test_the_foreign_corpus_is_large_enough_to_mean_something():
    assert len(FILES) >= 20
    assert {p.suffix for p in FILES} == {".bpmn", ".dmn"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(FOREIGN)))
def test_a_foreign_file_is_ok_or_explained_one_problem_a_line(path, tmp_path):
    alone = tmp_path / path.name  # validated alone: no table or diagram beside it
    shutil.copy(path, alone)

    result = CliRunner().invoke(doleance, ["validate", str(alone)], catch_exceptions=False)

    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    if result.exit_code == 0:
        assert result.output.strip() == "1 file(s) OK"
        return
    *problems, summary = result.output.splitlines()
    assert summary == f"{len(problems)} problem(s) found"
    for line in problems:
        match = PROBLEM_LINE.match(line)
        assert match and match["file"] == str(alone), line
        assert " at 0x" not in line and "None" not in line, line
