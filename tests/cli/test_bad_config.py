"""A `[tool.gradguard]` value of the wrong type (issue 19, item 6): `path: key: expected ..., got ...`,
exit 2, the files under that pyproject.toml not checked and every other folder checked as usual."""

from __future__ import annotations

from pathlib import Path

import pytest
from gradguard.rules import RULES

from .conftest import GG101_SNIPPET, findings_json, run_gradguard

KNOWN = f"the codes {', '.join(rule.code for rule in RULES)}, a prefix such as GG2, or a rule's slug"


def _package(project: Path, name: str, pyproject: str | None) -> None:
    (project / name).mkdir()
    (project / name / "x.py").write_text(GG101_SNIPPET, encoding="utf-8")
    if pyproject is not None:
        (project / name / "pyproject.toml").write_text(pyproject, encoding="utf-8")


def test_wrong_types_are_reported_and_the_other_folders_checked(project: Path) -> None:
    _package(project, "a", '[tool.gradguard]\nper-file-ignores = { "x.py" = 5 }\n')
    _package(project, "b", 'tool = "gradguard"\n')
    _package(project, "c", "[tool]\ngradguard = [1]\n")
    _package(project, "d", None)

    result = run_gradguard("--check", cwd=project)

    assert result.returncode == 2
    errors = [line.replace(f"{project}/", "") for line in result.stderr.splitlines()]
    assert errors == [
        'a/pyproject.toml: error: tool.gradguard.per-file-ignores."x.py": expected a list of rule codes, got 5; '
        "files under it not checked",
        'b/pyproject.toml: error: tool: expected a table, got "gradguard"; files under it not checked',
        "c/pyproject.toml: error: tool.gradguard: expected a table, got [1]; files under it not checked",
    ]
    assert result.stdout.startswith("d/x.py:2:6: GG101")


@pytest.mark.parametrize(
    "body, message",
    [
        ("select = 5", "tool.gradguard.select: expected a list of strings, got 5"),
        ('ignore = ["GG101", 2]', 'tool.gradguard.ignore: expected a list of strings, got ["GG101", 2]'),
        ("exclude = { a = 1 }", 'tool.gradguard.exclude: expected a list of strings, got {"a": 1}'),
        ('severity = "hint"', 'tool.gradguard.severity: expected a table, got "hint"'),
        (
            "severity = { GG101 = 3 }",
            "tool.gradguard.severity.GG101: expected one of error, warning, info, hint, got 3",
        ),
        ('per-file-ignores = ["x.py"]', 'tool.gradguard.per-file-ignores: expected a table, got ["x.py"]'),
        (
            'per-file-ignores = { "tests/**" = [true] }',
            'tool.gradguard.per-file-ignores."tests/**": expected a list of rule codes, got [true]',
        ),
        ("torch-version = 1.13", 'tool.gradguard.torch-version: expected a version string such as "1.13", got 1.13'),
        (
            "eval-function-patterns = true",
            "tool.gradguard.eval-function-patterns: expected a list of strings, got true",
        ),
        ("model-names = [[]]", "tool.gradguard.model-names: expected a list of strings, got [[]]"),
        # A typo in a code selects or ignores nothing: an error, naming the codes there are.
        ('select = ["GG2", "GG999"]', f'tool.gradguard.select: expected {KNOWN} (not GG999), got ["GG2", "GG999"]'),
        ('ignore = "missing-evl"', f'tool.gradguard.ignore: expected {KNOWN} (not missing-evl), got "missing-evl"'),
        (
            'per-file-ignores = { "tests/**" = ["GG3"] }',
            f'tool.gradguard.per-file-ignores."tests/**": expected {KNOWN} (not GG3), got ["GG3"]',
        ),
        ("severity = { GG2O5 = 'hint' }", f'tool.gradguard.severity: expected {KNOWN} (not GG2O5), got ["GG2O5"]'),
        (
            "select = 5\ntorch-version = []",
            "tool.gradguard.select: expected a list of strings, got 5; "
            'tool.gradguard.torch-version: expected a version string such as "1.13", got []',
        ),
    ],
)
def test_each_key_is_type_checked(project: Path, body: str, message: str) -> None:
    (project / "pyproject.toml").write_text(f"[tool.gradguard]\n{body}\n", encoding="utf-8")
    (project / "x.py").write_text(GG101_SNIPPET, encoding="utf-8")
    result = run_gradguard("--check", cwd=project)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"{project / 'pyproject.toml'}: error: {message}; files under it not checked"]


def test_per_file_ignores_takes_a_string_of_codes_as_select_does(project: Path) -> None:
    """Before, `"GG101"` was read as the codes G, G, 1, 0, 1."""
    (project / "pyproject.toml").write_text(
        '[tool.gradguard]\nper-file-ignores = { "x.py" = "GG101" }\n', encoding="utf-8"
    )
    (project / "x.py").write_text(GG101_SNIPPET, encoding="utf-8")
    (project / "y.py").write_text(GG101_SNIPPET, encoding="utf-8")
    assert [finding["filename"] for finding in findings_json(cwd=project)] == ["y.py"]
