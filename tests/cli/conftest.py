"""Helpers for end-to-end tests of `gradguard --check`: each test runs the real CLI in a subprocess."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

SHARED_EXAMPLES = Path(__file__).parents[2].parent / "shared" / "examples"  # shared/ sits beside the clone
needs_shared_examples = pytest.mark.skipif(
    not SHARED_EXAMPLES.is_dir(), reason="../shared/examples is not beside this clone"
)
GG101_SNIPPET = "import torch\nwith torch.no_grad:\n    pass\n"  # GG101 on line 2
CLEAN_SNIPPET = "import torch\nwith torch.no_grad():\n    pass\n"


def run_gradguard(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gradguard", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=600,
    )


def findings_json(*args: str, cwd: Path, exit_codes: tuple[int, ...] = (0, 1)) -> list[dict]:
    result = run_gradguard("--check", "--format", "json", *args, cwd=cwd)
    assert result.returncode in exit_codes, result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under root (cache excluded) -> hash of its bytes: proves a run changed nothing."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.is_symlink() and ".gradguard_cache" not in path.parts
    }


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An empty project folder, isolated from any pyproject.toml above it."""
    (tmp_path / "pyproject.toml").write_text("[tool.gradguard]\n", encoding="utf-8")
    return tmp_path
