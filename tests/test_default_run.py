"""`python -m pytest` (the README's command) is the fast run; `.ci/run` runs every test."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _collect(*args: str) -> str:
    run = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode in (0, 5), run.stdout + run.stderr  # 5: every test deselected
    return run.stdout.splitlines()[-1]


def test_the_default_run_leaves_out_the_fuzz_server_editor_and_slow_tests() -> None:
    assert _collect("tests/fuzz", "tests/lsp", "tests/e2e", "tests/test_pre_commit.py").startswith("no tests collected (")
    assert "deselected" not in _collect("-m", "", "tests/fuzz", "tests/lsp", "tests/e2e", "tests/test_pre_commit.py")


def test_ci_runs_every_test() -> None:
    assert '.venv/bin/python -m pytest -q -m ""' in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
