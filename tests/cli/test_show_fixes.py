"""`--show-fixes`: what `--fix` fixed, or would fix, per file and rule, on stderr (Ruff's enumeration)."""

from __future__ import annotations

from pathlib import Path

from .conftest import run_gradguard

# Two GG101 and a GG103 (safe fixes), and a GG201 whose only fix is unsafe.
MIXED = (
    "import torch\nwith torch.no_grad:\n    pass\nwith torch.no_grad:\n    pass\n"
    "model = torch.nn.Linear(2, 2)\ndef evaluate(x):\n    return model(x)\nmodel.eval\n"
)
HINT = "Some findings have only unsafe fixes: `--unsafe-fixes` applies them too (read the diff first)."


def test_fix_lists_what_it_fixed_per_file_and_rule(project: Path) -> None:
    (project / "a.py").write_text(MIXED, encoding="utf-8")
    (project / "clean.py").write_text("import torch\n", encoding="utf-8")
    result = run_gradguard("check", "--fix", "--show-fixes", "--no-cache", cwd=project)
    assert result.returncode == 1, result.stderr  # the GG201 is left
    assert result.stderr == (
        "Fixed 3 findings in 1 file:\n- a.py:\n"
        "    2 × GG101 (no-grad-not-called)\n    1 × GG103 (mode-switch-not-called)\n"
    )
    assert result.stdout.startswith("a.py:8:12: GG201 warning: ")


def test_a_check_lists_what_fix_would_fix_and_says_what_only_unsafe_fixes_fix(project: Path) -> None:
    (project / "a.py").write_text(MIXED, encoding="utf-8")
    (project / "b.py").write_text(MIXED.replace("model.eval\n", ""), encoding="utf-8")
    before = {path.name: path.read_text(encoding="utf-8") for path in project.glob("*.py")}
    check = run_gradguard("check", "--show-fixes", "--no-cache", cwd=project)
    assert check.returncode == 1
    assert check.stderr == (
        "`--fix` would fix 5 findings in 2 files:\n"
        "- a.py:\n    2 × GG101 (no-grad-not-called)\n    1 × GG103 (mode-switch-not-called)\n"
        "- b.py:\n    2 × GG101 (no-grad-not-called)\n" + HINT + "\n"
    )
    assert check.stdout.endswith(
        "Found 7 findings in 2 files (2 files checked). 5 fixable with `--fix` (2 more with `--unsafe-fixes`).\n"
    )
    unsafe = run_gradguard("check", "--show-fixes", "--unsafe-fixes", "--no-cache", "b.py", cwd=project)
    assert unsafe.stderr == (
        "`--fix --unsafe-fixes` would fix 3 findings in 1 file:\n"
        "- b.py:\n    2 × GG101 (no-grad-not-called)\n    1 × GG201 (forward-without-no-grad)\n"
    )
    diff = run_gradguard("check", "--diff", "--show-fixes", "--unsafe-fixes", "--no-cache", "b.py", cwd=project)
    assert diff.stderr == unsafe.stderr.replace("`--fix --unsafe-fixes` would fix", "Would fix")
    assert diff.stdout.startswith("--- a/b.py\n")
    assert {path.name: path.read_text(encoding="utf-8") for path in project.glob("*.py")} == before


def test_without_show_fixes_the_summary_is_one_line(project: Path) -> None:
    (project / "a.py").write_text(MIXED, encoding="utf-8")
    result = run_gradguard("check", "--diff", "--no-cache", cwd=project)
    assert result.stderr == "Would fix 3 findings in 1 file.\n"
    nothing = run_gradguard("check", "--show-fixes", "--no-cache", "--select", "GG201", cwd=project)
    assert nothing.stderr == f"`--fix` would fix 0 findings in 0 files. {HINT}\n"
