"""The hooks in .pre-commit-hooks.yaml, run by pre-commit itself from this repository at HEAD.

pre-commit clones the repository at `rev` and pip-installs it into its own environment, so only
committed changes are exercised, and the first run needs the package index (dependencies).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pre_commit", reason="pre-commit is not installed (pip install pre-commit)")

REPO_ROOT = Path(__file__).resolve().parents[1]
TRAIN_PY = "import torch\nwith torch.no_grad:\n    pass\n"


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def _write_config(project: Path, rev: str, hook_id: str) -> None:
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {REPO_ROOT.as_posix()}\n    rev: {rev}\n    hooks:\n      - id: {hook_id}\n"
    )
    _git(project, "add", "-A")


def _run_pre_commit(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"],
        cwd=project,
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=900,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "config", "user.email", "test@example.com")
    _git(tmp_path, "config", "user.name", "GradGuard test")
    _git(tmp_path, "config", "commit.gpgsign", "false")
    (tmp_path / "train.py").write_text(TRAIN_PY)
    return tmp_path


@pytest.mark.slow
def test_gradguard_hook_reports_and_gradguard_fix_hook_repairs(project: Path) -> None:
    rev = _git(REPO_ROOT, "rev-parse", "HEAD")
    committed_hooks = subprocess.run(["git", "cat-file", "-e", f"{rev}:.pre-commit-hooks.yaml"], cwd=REPO_ROOT)
    assert committed_hooks.returncode == 0, ".pre-commit-hooks.yaml must be committed: pre-commit clones HEAD"

    _write_config(project, rev, "gradguard")
    check = _run_pre_commit(project)
    output = check.stdout + check.stderr
    assert check.returncode != 0, output
    assert "GG101" in output, output
    assert (project / "train.py").read_text() == TRAIN_PY

    _write_config(project, rev, "gradguard-fix")
    fix = _run_pre_commit(project)
    fixed = (project / "train.py").read_text()
    assert "with torch.no_grad():" in fixed, fix.stdout + fix.stderr
    assert "with torch.no_grad:" not in fixed
