"""A check imports the fix engine's libcst only when it computes fixes (0.4 CPU-s of a 0.5 s run otherwise)."""

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import json, sys
from gradguard.cli import main
status = main(sys.argv[1:])
print(json.dumps({"status": status, "libcst": "libcst" in sys.modules}))
"""
NOT_CALLED = "import torch\nwith torch.no_grad:\n    pass\n"  # GG101, which has a safe fix
CALLED = "import torch\nwith torch.no_grad():\n    pass\n"


def check_in_fresh_process(*args: str, cwd: Path) -> dict:
    """The CLI's main run in a new interpreter; which heavy modules it left loaded."""
    done = subprocess.run([sys.executable, "-c", SCRIPT, *args], cwd=cwd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_check_without_findings_does_not_import_libcst(tmp_path):
    """A finding's text line says whether `--fix` fixes it (`[*]`), which takes the fix engine: a file
    without findings, the usual case in CI and pre-commit, never loads it."""
    (tmp_path / "train.py").write_text(CALLED)
    result = check_in_fresh_process("--check", "train.py", cwd=tmp_path)
    assert result == {"status": 0, "libcst": False}


def test_a_check_with_fix_imports_libcst(tmp_path):
    (tmp_path / "train.py").write_text(NOT_CALLED)
    result = check_in_fresh_process("--check", "--fix", "train.py", cwd=tmp_path)
    assert result["libcst"] is True
    assert (tmp_path / "train.py").read_text() == "import torch\nwith torch.no_grad():\n    pass\n"
