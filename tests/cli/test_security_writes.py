"""`--fix` and the results cache write only what they mean to, where they mean to (issue 19, items 2-4).

A checked repository is untrusted: it can hold symlinks planted where GradGuard writes. Each test runs
the installed command in a subprocess, as root or not (read-only is judged by the mode bits, so root
is refused too).
"""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from gradguard.cache import FORMAT

from .conftest import GG101_SNIPPET, run_gradguard

FIXED_SNIPPET = GG101_SNIPPET.replace("no_grad:", "no_grad():")


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the project: nothing in it may change."""
    folder = tmp_path / "outside"
    folder.mkdir()
    return folder


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "pyproject.toml").write_text("[tool.gradguard]\n", encoding="utf-8")
    return folder


def test_fix_never_follows_a_link_planted_at_a_temporary_name(project: Path, outside: Path) -> None:
    """Before: the temporary file was `.NAME.gradguard-tmp-PID`; a link planted there was written through."""
    (project / "train.py").write_text(GG101_SNIPPET, encoding="utf-8")
    victim = outside / "victim.txt"
    victim.write_text("keep me\n", encoding="utf-8")
    # The shell plants the link under its own PID, then execs GradGuard, which keeps that PID.
    command = (
        f'ln -s {shlex.quote(str(victim))} ".train.py.gradguard-tmp-$$" && '
        f"exec {shlex.quote(sys.executable)} -m gradguard --check --fix --no-cache train.py"
    )
    result = subprocess.run(["sh", "-c", command], cwd=project, capture_output=True, text=True, timeout=600)

    assert result.returncode == 0, result.stderr
    assert victim.read_text(encoding="utf-8") == "keep me\n"
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644
    train = project / "train.py"
    assert not train.is_symlink() and train.read_text(encoding="utf-8") == FIXED_SNIPPET
    planted = [path for path in project.iterdir() if "gradguard-tmp" in path.name]
    assert len(planted) == 1 and planted[0].is_symlink()  # left alone; no temporary file of ours left


def test_fix_writes_through_a_link_inside_the_checked_folder(project: Path) -> None:
    (project / "real").mkdir()
    target = project / "real" / "model.py"
    target.write_text(GG101_SNIPPET, encoding="utf-8")
    os.chmod(target, 0o751)
    (project / "alias.py").symlink_to("real/model.py")

    result = run_gradguard("--check", "--fix", "--no-cache", "alias.py", cwd=project)

    assert result.returncode == 0, result.stderr
    assert (project / "alias.py").is_symlink()
    assert target.read_text(encoding="utf-8") == FIXED_SNIPPET
    assert stat.S_IMODE(target.stat().st_mode) == 0o751


def test_fix_leaves_links_out_hard_links_and_read_only_files_unchanged(project: Path, outside: Path) -> None:
    (outside / "shared.py").write_text(GG101_SNIPPET, encoding="utf-8")
    (project / "escape.py").symlink_to(outside / "shared.py")
    (project / "linked.py").write_text(GG101_SNIPPET, encoding="utf-8")
    os.link(project / "linked.py", outside / "other_name.py")
    read_only = project / "read_only.py"
    read_only.write_text(GG101_SNIPPET, encoding="utf-8")
    os.chmod(read_only, 0o444)
    (project / "plain.py").write_text(GG101_SNIPPET, encoding="utf-8")

    result = run_gradguard("--check", "--fix", "--no-cache", ".", cwd=project)

    assert result.returncode == 1, result.stderr  # the findings of the files left unchanged remain
    notes = [line for line in result.stderr.splitlines() if ": note: " in line]
    assert notes == [  # symlinked files come last
        "linked.py: note: left unchanged: it has 2 hard links, and replacing it would leave the others unfixed",
        "read_only.py: note: left unchanged: the file is read-only",
        f"escape.py: note: left unchanged: it is a symlink to {os.path.realpath(outside / 'shared.py')}, "
        "outside the folders being checked",
    ]
    assert "Fixed 1 finding in 1 file." in result.stderr
    assert [line.split(":")[0] for line in result.stdout.splitlines()[:-1]] == [
        "linked.py",
        "read_only.py",
        "escape.py",
    ]
    assert (project / "escape.py").is_symlink()
    assert (outside / "shared.py").read_text(encoding="utf-8") == GG101_SNIPPET
    assert os.path.samefile(project / "linked.py", outside / "other_name.py")
    assert (outside / "other_name.py").read_text(encoding="utf-8") == GG101_SNIPPET
    assert read_only.read_text(encoding="utf-8") == GG101_SNIPPET
    assert stat.S_IMODE(read_only.stat().st_mode) == 0o444
    assert (project / "plain.py").read_text(encoding="utf-8") == FIXED_SNIPPET


def test_add_noqa_leaves_a_read_only_file_unchanged(project: Path) -> None:
    read_only = project / "read_only.py"
    read_only.write_text(GG101_SNIPPET, encoding="utf-8")
    os.chmod(read_only, 0o444)
    result = run_gradguard("--check", "--add-noqa", "--no-cache", cwd=project)
    assert "read_only.py: note: left unchanged: the file is read-only" in result.stderr.splitlines()
    assert read_only.read_text(encoding="utf-8") == GG101_SNIPPET


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can create a file that belongs to another user")
def test_fix_keeps_the_owner_and_group(project: Path) -> None:
    owned = project / "owned.py"
    owned.write_text(GG101_SNIPPET, encoding="utf-8")
    os.chown(owned, 12345, 23456)
    os.chmod(owned, 0o640)
    result = run_gradguard("--check", "--fix", "--no-cache", cwd=project)
    assert result.returncode == 0, result.stderr
    status = owned.stat()
    assert (status.st_uid, status.st_gid, stat.S_IMODE(status.st_mode)) == (12345, 23456, 0o640)
    assert owned.read_text(encoding="utf-8") == FIXED_SNIPPET


# The results cache ---------------------------------------------------------------------------------


def _check_twice(project: Path) -> list[subprocess.CompletedProcess[str]]:
    """Two runs: the first would write the cache, the second read it."""
    return [run_gradguard("--check", cwd=project) for _ in range(2)]


def _assert_cache_refused(runs: list[subprocess.CompletedProcess[str]], link: str, outside: Path) -> None:
    for result in runs:
        assert result.returncode == 1, result.stderr
        assert result.stdout.startswith("train.py:2:6: GG101")
        assert result.stderr.splitlines() == [
            f"{link}: warning: is a symlink, so the results cache is not used "
            "(delete .gradguard_cache to start a new one)"
        ]
    assert [path.name for path in outside.rglob("*")] == []


def test_a_symlinked_cache_folder_is_not_used(project: Path, outside: Path) -> None:
    (project / "train.py").write_text(GG101_SNIPPET, encoding="utf-8")
    (project / ".gradguard_cache").symlink_to(outside)
    _assert_cache_refused(_check_twice(project), ".gradguard_cache", outside)


def test_a_symlinked_folder_inside_the_cache_is_not_used(project: Path, outside: Path) -> None:
    (project / "train.py").write_text(GG101_SNIPPET, encoding="utf-8")
    (project / ".gradguard_cache").mkdir()
    (project / ".gradguard_cache" / FORMAT).symlink_to(outside)
    _assert_cache_refused(_check_twice(project), f".gradguard_cache/{FORMAT}", outside)


def test_symlinked_key_folders_are_not_used(project: Path, outside: Path) -> None:
    (project / "train.py").write_text(GG101_SNIPPET, encoding="utf-8")
    entries = project / ".gradguard_cache" / FORMAT
    entries.mkdir(parents=True)
    for prefix in range(256):  # whatever the key, its folder is a link
        (entries / f"{prefix:02x}").symlink_to(outside)
    runs = _check_twice(project)
    assert all(": warning: is a symlink, so the results cache is not used" in run.stderr for run in runs)
    assert [path.name for path in outside.rglob("*")] == []


def test_a_dangling_gitignore_link_in_the_cache_creates_nothing(project: Path, outside: Path) -> None:
    (project / "train.py").write_text(GG101_SNIPPET, encoding="utf-8")
    (project / ".gradguard_cache").mkdir()
    (project / ".gradguard_cache" / ".gitignore").symlink_to(outside / "created-by-gradguard")
    _assert_cache_refused(_check_twice(project), ".gradguard_cache/.gitignore", outside)


def test_the_cache_still_works(project: Path) -> None:
    (project / "train.py").write_text(GG101_SNIPPET, encoding="utf-8")
    first, second = _check_twice(project)
    assert first.stdout == second.stdout and first.stdout.startswith("train.py:2:6: GG101")
    assert first.stderr == second.stderr == ""
    entries = list((project / ".gradguard_cache" / FORMAT).rglob("*.json"))
    assert len(entries) == 1 and not any(path.is_symlink() for path in (project / ".gradguard_cache").rglob("*"))
    assert (project / ".gradguard_cache" / ".gitignore").read_text(encoding="utf-8").endswith("*\n")
