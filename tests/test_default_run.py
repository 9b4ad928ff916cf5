"""`python -m pytest` (the README's command) is the fast run; `.ci/run` runs every test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# A file of each set the default run leaves out (a whole folder is marked by tests/conftest.py).
ONE_OF_EACH = (
    "tests/fuzz/test_seed_corpus.py",
    "tests/lsp/test_hover.py",
    "tests/e2e/test_editors.py",
    "tests/test_pre_commit.py",
)


def _collect(*args: str) -> str:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode in (0, 5), run.stdout + run.stderr  # 5: every test deselected
    return run.stdout.splitlines()[-1]


def test_the_default_run_leaves_out_the_fuzz_server_editor_and_slow_tests() -> None:
    assert _collect(*ONE_OF_EACH).startswith("no tests collected (")
    everything = _collect("-m", "", *ONE_OF_EACH)
    assert " tests collected " in everything and "deselected" not in everything


def test_ci_runs_every_test() -> None:
    assert '.venv/bin/python -m pytest -q -m ""' in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
