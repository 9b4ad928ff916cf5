"""`--jobs N` gives the same output as `--jobs 1`; the cache gives the same findings as a cold run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import CLEAN_SNIPPET, GG101_SNIPPET, SHARED_EXAMPLES, findings_json, needs_shared_examples, run_gradguard


def generate_tree(root: Path) -> None:
    for index in range(40):
        folder = root / f"pkg{index % 4}" / f"sub{index % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        body = [GG101_SNIPPET, CLEAN_SNIPPET, "import torch\nx = torch.no_grad(\n", GG101_SNIPPET * 3][index % 4]
        padding = "".join(f"value_{line} = {line}\n" for line in range(1000))  # enough bytes to start workers
        (folder / f"module_{index}.py").write_text(f"# file {index}\n{body}{padding}", encoding="utf-8")
    (root / "pkg0" / "nb.ipynb").write_text(
        json.dumps(
            {"cells": [{"cell_type": "code", "source": GG101_SNIPPET, "metadata": {}, "outputs": []}], "metadata": {}}
        ),
        encoding="utf-8",
    )


def assert_same_output_for_jobs(args: list[str], cwd: Path) -> None:
    serial = run_gradguard("--check", "--no-cache", "--jobs", "1", *args, cwd=cwd)
    parallel = run_gradguard("--check", "--no-cache", "--jobs", "2", *args, cwd=cwd)
    assert (parallel.returncode, parallel.stdout, parallel.stderr) == (serial.returncode, serial.stdout, serial.stderr)


@needs_shared_examples
def test_jobs_on_the_shared_examples(project: Path) -> None:
    for format_name in ("json", "sarif"):
        assert_same_output_for_jobs(["--format", format_name, str(SHARED_EXAMPLES)], project)


@pytest.mark.slow
def test_jobs_on_a_generated_tree(project: Path) -> None:
    generate_tree(project)
    assert_same_output_for_jobs(["--format", "json"], project)
    serial = run_gradguard("--check", "--no-cache", "--jobs", "1", "--format", "json", cwd=project)
    assert serial.returncode == 2  # the files with `x = (`
    assert len(json.loads(serial.stdout)) == 10 * 1 + 10 * 3 + 1


def cache_entries(root: Path) -> set[Path]:
    return set((root / ".gradguard_cache").rglob("*.json"))


@pytest.mark.slow
def test_cache_gives_the_cold_run_findings_and_follows_changes(project: Path) -> None:
    generate_tree(project)
    cold = findings_json("--no-cache", cwd=project, exit_codes=(2,))
    assert not (project / ".gradguard_cache").exists()
    first = findings_json(cwd=project, exit_codes=(2,))
    entries = cache_entries(project)
    assert first == cold and len(entries) == 41
    assert findings_json(cwd=project, exit_codes=(2,)) == cold
    assert cache_entries(project) == entries  # nothing new: every result came from the cache

    (project / "pkg1" / "sub1" / "module_1.py").write_text(GG101_SNIPPET, encoding="utf-8")  # was clean
    changed = findings_json(cwd=project, exit_codes=(2,))
    assert len(changed) == len(cold) + 1
    assert changed == findings_json("--no-cache", cwd=project, exit_codes=(2,))

    (project / "pyproject.toml").write_text("[tool.gradguard]\nignore = ['GG101']\n", encoding="utf-8")
    assert findings_json(cwd=project, exit_codes=(2,)) == []
    assert findings_json("--ignore", "GG2", cwd=project, exit_codes=(2,)) == changed


def test_cache_folder_is_safe_to_delete_and_ignored_by_git(project: Path) -> None:
    (project / "loop.py").write_text(GG101_SNIPPET, encoding="utf-8")
    first = findings_json(cwd=project)
    assert (project / ".gradguard_cache" / ".gitignore").read_text(encoding="utf-8").endswith("*\n")
    for entry in cache_entries(project):
        entry.write_text("{not json", encoding="utf-8")  # a corrupt entry is a miss, not a crash
    assert findings_json(cwd=project) == first
