"""Symlinks in the checked tree (issue 19, item 9): each real folder and file is checked once, by the
first path that reaches it, and each link passed over is named on stderr."""

from __future__ import annotations

import glob
import os
from pathlib import Path

from .conftest import GG101_SNIPPET, findings_json, run_gradguard


def _tree_with_loops(project: Path) -> None:
    (project / "pkg").mkdir()
    (project / "pkg" / "train.py").write_text(GG101_SNIPPET, encoding="utf-8")
    (project / "loop").symlink_to(".")
    (project / "pkg" / "up").symlink_to("..")
    (project / "pkg" / "alias.py").symlink_to("train.py")


def test_a_folder_reached_again_through_links_is_checked_once(project: Path) -> None:
    _tree_with_loops(project)

    result = run_gradguard("--check", "--format", "json", ".", "loop", "loop/loop/pkg", "pkg/alias.py", cwd=project)

    assert result.returncode == 1, result.stderr
    assert result.stdout.count('"filename"') == 1 and '"filename": "pkg/train.py"' in result.stdout
    assert result.stderr.splitlines() == [
        f"loop: note: skipped: a symlink to a folder ({os.path.realpath(project)}); symlinked folders are not followed",
        f"pkg/up: note: skipped: a symlink to a folder ({os.path.realpath(project)}); "
        "symlinked folders are not followed",
        "loop: note: skipped: the same folder as .",
        "loop/loop/pkg: note: skipped: the same folder as pkg",
        "pkg/alias.py: note: skipped: the same file as pkg/train.py",
    ]


def test_paths_that_go_round_a_loop_are_checked_once(project: Path) -> None:
    """What `glob('**/*.py', recursive=True)` gives (it follows links): one path per level, ~40 levels deep."""
    _tree_with_loops(project)
    (project / "pkg" / "up").unlink()
    (project / "pkg" / "alias.py").unlink()
    paths = sorted(
        (os.path.relpath(path, project) for path in glob.glob(f"{project}/**/*.py", recursive=True)), key=len
    )
    assert len(paths) > 10 and paths[0] == "pkg/train.py"

    findings = findings_json("--no-cache", *paths, cwd=project)

    assert [finding["filename"] for finding in findings] == ["pkg/train.py"]


def test_a_symlinked_file_beside_its_target_is_named_as_the_target(project: Path) -> None:
    (project / "a_link.py").symlink_to("z_real.py")
    (project / "z_real.py").write_text(GG101_SNIPPET, encoding="utf-8")
    result = run_gradguard("--check", cwd=project)
    assert result.stdout.splitlines()[0].startswith("z_real.py:2:6: GG101")
    assert result.stderr.splitlines() == ["a_link.py: note: skipped: the same file as z_real.py"]
