"""`gradguard check --watch`: a real process, a real file change, its new findings read from its output."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from .conftest import CLEAN_SNIPPET, GG101_SNIPPET, run_gradguard


def _lines(stream, into: queue.Queue) -> None:
    for line in stream:
        into.put(line)


def _wait_for(lines: queue.Queue, text: str, seconds: float = 60) -> list[str]:
    """The lines read up to the first that holds `text`."""
    seen, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            seen.append(lines.get(timeout=0.5))
        except queue.Empty:
            continue
        if text in seen[-1]:
            return seen
    raise AssertionError(f"no {text!r} in {seen}")


@pytest.mark.slow  # a process start, a first check and a change seen: about 3 s
def test_a_changed_file_is_checked_again(project: Path) -> None:
    (project / "train.py").write_text(CLEAN_SNIPPET, encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "gradguard", "check", "--watch", "."],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    stdout, stderr = queue.Queue(), queue.Queue()
    for stream, into in ((process.stdout, stdout), (process.stderr, stderr)):
        threading.Thread(target=_lines, args=(stream, into), daemon=True).start()
    try:
        assert _wait_for(stdout, "No findings") == ["No findings (1 file checked).\n"]
        _wait_for(stderr, "Watching for changes")
        for attempt in range(10):  # "Watching" is printed just before the watcher starts: a write may come first
            (project / "train.py").write_text(GG101_SNIPPET, encoding="utf-8")
            try:
                assert _wait_for(stderr, "seen: checking again.", 5)[-1].endswith("] 1 change seen: checking again.\n")
                break
            except AssertionError:
                assert attempt < 9
        after = _wait_for(stdout, "Found ")
        assert after[0].startswith("train.py:2:6: GG101 [*] error: ") and len(after) == 2
        assert process.poll() is None  # still watching
    finally:
        process.terminate()
        process.wait(timeout=60)


def test_watch_refuses_standard_input_and_add_noqa(project: Path) -> None:
    for args in (["--watch", "-"], ["--watch", "--add-noqa"]):
        result = run_gradguard("check", *args, cwd=project)
        assert result.returncode == 2 and result.stderr.startswith("gradguard: error: --"), result.stderr


def test_watch_ends_when_no_path_exists(project: Path) -> None:
    result = run_gradguard("check", "--watch", "missing.py", cwd=project)
    assert result.returncode == 2 and "missing.py: error: cannot read" in result.stderr, result.stderr
