"""`gradguard --check` never imports a module of the checked project, also when it runs worker
processes (each started by a fresh Python in the working directory, which is the project)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from gradguard.checking import PARALLEL_MIN_BYTES

from .conftest import GG101_SNIPPET

INSTALLED = Path(sys.executable).with_name("gradguard")  # the console script pip installed beside this Python
# `python -m` puts the working directory first on sys.path and imports these (runpy's imports and the
# `gradguard` package) before any code of ours runs: only the installed command or `-I` avoids them.
IMPORTED_BEFORE_MAIN = ("types", "runpy", "enum", "ast", "tokenize", "gradguard")

needs_two_cores = pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="workers run only with two cores or more")


def check_with_workers(command: list[str], project) -> None:
    padding = "".join(f"value_{line} = {line}\n" for line in range(1000))
    samples = [f"sample_{index}.py" for index in range(40)]
    for name in samples:
        (project.root / name).write_text(GG101_SNIPPET + padding, encoding="utf-8")
    assert sum(path.stat().st_size for path in project.root.glob("sample_*.py")) > PARALLEL_MIN_BYTES

    try:
        run = subprocess.run(
            [*command, "--check", "--no-cache", "--jobs", "2", "--format", "json"],
            cwd=project.root,
            capture_output=True,
            text=True,
            timeout=180,
        )
    except subprocess.TimeoutExpired:  # a worker that dies on import is started again, and again
        pytest.fail(f"--check did not finish; imported from the project: {project.imported()}")

    assert project.imported() == []
    assert run.returncode == 1, run.stderr
    findings = {
        (finding["filename"], finding["code"], finding["location"]["row"]) for finding in json.loads(run.stdout)
    }
    assert findings == {(name, "GG101", 2) for name in samples}


@needs_two_cores
def test_the_installed_command_imports_nothing_from_the_checked_project(planted_tree) -> None:
    check_with_workers([str(INSTALLED)], planted_tree)


@needs_two_cores
def test_python_m_imports_nothing_more_once_gradguard_runs(planted_tree) -> None:
    for name in IMPORTED_BEFORE_MAIN:
        planted = planted_tree.root / (name if name == "gradguard" else f"{name}.py")
        shutil.rmtree(planted) if planted.is_dir() else planted.unlink()
    check_with_workers([sys.executable, "-m", "gradguard"], planted_tree)
