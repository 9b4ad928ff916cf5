"""A check imports the fix engine's libcst only when it computes fixes (0.4 CPU-s of a 0.5 s run otherwise)."""

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import contextlib, io, json, sys
from gradguard.cli import main
output = io.StringIO()
with contextlib.redirect_stdout(output):
    status = main(sys.argv[1:])
print(json.dumps({"status": status, "libcst": "libcst" in sys.modules, "output": output.getvalue()}))
"""
NOT_CALLED = "import torch\nwith torch.no_grad:\n    pass\n"  # GG101, which has a safe fix
CALLED = "import torch\nwith torch.no_grad():\n    pass\n"
FORWARD_WITHOUT_NO_GRAD = """\
import torch


def evaluate(model, loader):
    model.eval()
    for x, y in loader:
        print(model(x).argmax(1).eq(y).sum().item())
"""


def check_in_fresh_process(*args: str, cwd: Path) -> dict:
    """The CLI's main run in a new interpreter: its status, which heavy modules it left loaded, and what it printed."""
    done = subprocess.run([sys.executable, "-c", SCRIPT, *args], cwd=cwd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_check_without_findings_does_not_import_libcst(tmp_path):
    """A finding's text line says whether `--fix` fixes it (`[*]`), which takes the fix engine: a file
    without findings, the usual case in CI and pre-commit, never loads it."""
    (tmp_path / "train.py").write_text(CALLED)
    result = check_in_fresh_process("--check", "train.py", cwd=tmp_path)
    assert (result["status"], result["libcst"]) == (0, False)


def test_a_check_with_fix_imports_libcst(tmp_path):
    (tmp_path / "train.py").write_text(NOT_CALLED)
    result = check_in_fresh_process("--check", "--fix", "train.py", cwd=tmp_path)
    assert result["libcst"] is True
    assert (tmp_path / "train.py").read_text() == "import torch\nwith torch.no_grad():\n    pass\n"


def test_a_finding_whose_rule_always_fixes_it_is_marked_fixable_without_libcst(tmp_path):
    """GG101's fix (add `()`) is made for every finding (`Rule.always_fixed`): the text output's `[*]` and
    "fixable" count come from the rule, so a one-file check with such a finding costs what a clean one does."""
    (tmp_path / "train.py").write_text(NOT_CALLED)
    result = check_in_fresh_process("--check", "train.py", cwd=tmp_path)
    assert result["libcst"] is False
    assert result["status"] == 1
    assert "train.py:2:6: GG101 [*] error:" in result["output"]
    assert result["output"].endswith("1 fixable with `--fix`.\n")


def test_a_finding_whose_fix_depends_on_the_code_is_still_marked_by_computing_it(tmp_path):
    """GG201's fix wraps the forward pass only where it can: the fix engine decides."""
    (tmp_path / "evaluate.py").write_text(FORWARD_WITHOUT_NO_GRAD)
    result = check_in_fresh_process("--check", "evaluate.py", cwd=tmp_path)
    assert result["libcst"] is True
    assert " GG201 " in result["output"]
