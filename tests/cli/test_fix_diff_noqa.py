"""`--fix`, `--diff` and `--add-noqa` change files only as asked, atomically, keeping everything else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gradguard import Config, analyze
from gradguard.fixes import code_fixes
from gradguard.rules import RULES

from .conftest import CLEAN_SNIPPET, GG101_SNIPPET, findings_json, run_gradguard, tree_digest


def test_fix_applies_the_safe_fix_and_exits_0_when_nothing_is_left(project: Path) -> None:
    path = project / "loop.py"
    path.write_text(GG101_SNIPPET, encoding="utf-8")
    result = run_gradguard("--check", "--fix", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert path.read_text(encoding="utf-8") == CLEAN_SNIPPET
    assert "Fixed 1 finding in 1 file." in result.stderr
    assert sorted(p.name for p in project.iterdir()) == ["loop.py", "pyproject.toml"]  # no temporary file left


def test_diff_shows_the_fix_and_changes_nothing(project: Path) -> None:
    (project / "loop.py").write_text(GG101_SNIPPET, encoding="utf-8")
    before = tree_digest(project)
    result = run_gradguard("--check", "--diff", cwd=project)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "--- a/loop.py",
        "+++ b/loop.py",
        "@@ -1,3 +1,3 @@",
        " import torch",
        "-with torch.no_grad:",
        "+with torch.no_grad():",
        "     pass",
    ]
    assert tree_digest(project) == before
    (project / "loop.py").write_text(CLEAN_SNIPPET, encoding="utf-8")
    clean = run_gradguard("--check", "--diff", cwd=project)
    assert (clean.returncode, clean.stdout) == (0, "")


def test_fix_leaves_files_without_fixes_and_odd_notebook_layouts_alone(project: Path) -> None:
    (project / "clean.py").write_text(CLEAN_SNIPPET, encoding="utf-8")
    (project / "nb.ipynb").write_text(  # indented by 3: writing it back would reformat the whole file
        json.dumps({"cells": [{"cell_type": "code", "source": "import torch\nwith torch.no_grad:\n  1\n"}]}, indent=3),
        encoding="utf-8",
    )
    before = tree_digest(project)
    result = run_gradguard("--check", "--fix", cwd=project)
    assert result.returncode == 1
    assert "nb.ipynb: note: fixes skipped: the notebook's JSON layout could not be kept" in result.stderr
    assert tree_digest(project) == before


def test_add_noqa_silences_every_finding(project: Path) -> None:
    source = (
        "import torch\r\n"
        "with torch.no_grad:  # noqa: E501\r\n"
        "    pass\r\n"
        "with torch.no_grad:  # NOQA : E501 see #12\r\n"
        "    pass\r\n"
        "with torch.no_grad:\r\n"
        "    x = '''\r\n"
        "with torch.no_grad: inside a string'''\r\n"
    )
    path = project / "loop.py"
    path.write_bytes(source.encode())
    result = run_gradguard("--check", "--add-noqa", cwd=project)
    assert result.returncode == 0, result.stderr
    assert path.read_bytes().decode() == (
        "import torch\r\n"
        "with torch.no_grad:  # noqa: E501, GG101\r\n"
        "    pass\r\n"
        "with torch.no_grad:  # noqa: E501, GG101 see #12\r\n"
        "    pass\r\n"
        "with torch.no_grad:  # noqa: GG101\r\n"
        "    x = '''\r\n"
        "with torch.no_grad: inside a string'''\r\n"
    )
    assert findings_json(cwd=project) == []
    again = run_gradguard("--check", "--add-noqa", cwd=project)
    assert again.returncode == 0 and "Added 0 noqa comments" in again.stderr


def example_with_only_unsafe_fixes() -> str | None:
    """A rule's own firing example whose findings all have fixes, none of them safe."""
    for rule in RULES:
        for source in rule.fires:
            fixes = [code_fixes(source, finding, Config()) for finding in analyze(source)]
            if fixes and all(each and all(fix.applicability == "unsafe" for fix in each) for each in fixes):
                return source
    return None


def test_unsafe_fixes_only_when_asked(project: Path) -> None:
    source = example_with_only_unsafe_fixes()
    if source is None:
        pytest.skip("no rule example has an unsafe fix")
    (project / "example.py").write_text(source, encoding="utf-8")
    safe_only = run_gradguard("--check", "--diff", cwd=project)
    assert (safe_only.returncode, safe_only.stdout) == (0, "")
    with_unsafe = run_gradguard("--check", "--diff", "--unsafe-fixes", cwd=project)
    assert with_unsafe.returncode == 1 and with_unsafe.stdout.startswith("--- a/example.py")
    assert (project / "example.py").read_text(encoding="utf-8") == source


def test_diff_and_fix_say_when_only_unsafe_fixes_are_left(project: Path) -> None:
    """Before, a project whose findings all had unsafe fixes got "Would fix 0 findings" and no word of
    --unsafe-fixes."""
    (project / "val.py").write_text(
        "import torch\nmodel = torch.nn.Linear(2, 2)\ndef evaluate(x):\n    return model(x)\n", encoding="utf-8"
    )
    hint = "Some findings have only unsafe fixes: `--unsafe-fixes` applies them too (read the diff first)."
    diff = run_gradguard("check", "--diff", "--no-cache", cwd=project)
    assert (diff.returncode, diff.stdout) == (0, "")
    assert diff.stderr == f"Would fix 0 findings in 0 files. {hint}\n"
    fix = run_gradguard("check", "--fix", "--no-cache", cwd=project)
    assert fix.stderr == f"Fixed 0 findings in 0 files. {hint}\n"
    unsafe = run_gradguard("check", "--diff", "--unsafe-fixes", "--no-cache", cwd=project)
    assert unsafe.returncode == 1 and unsafe.stderr == "Would fix 1 finding in 1 file.\n"
