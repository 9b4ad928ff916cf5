"""The progress bar: on stderr, only on a terminal, only once a run has taken two seconds, erased at the end."""

from __future__ import annotations

import io
import os
import pty
import select
from pathlib import Path

import pytest
from gradguard import checking, cli

from .conftest import CLEAN_SNIPPET, GG101_SNIPPET


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_bar_shows_only_after_two_seconds_and_is_erased() -> None:
    stream, clock = Terminal(), Clock()
    with cli.ProgressBar(stream, clock) as bar:
        bar.update(1, 4, "checked")
        clock.now += 1.9
        bar.update(2, 4, "checked")
        assert stream.getvalue() == ""  # a short run never shows one
        clock.now += 0.2
        bar.update(3, 4, "checked again")
        assert stream.getvalue() == "\r[######################........] 3/4 files checked again\x1b[K"
        clock.now += 0.01
        bar.update(4, 4, "checked")  # the last count is drawn however soon it comes
    assert stream.getvalue().endswith("\r[##############################] 4/4 files checked\x1b[K\r\x1b[K")


def test_no_bar_when_stderr_is_not_a_terminal() -> None:
    stream, clock = io.StringIO(), Clock()
    with cli.ProgressBar(stream, clock) as bar:
        clock.now += 60
        bar.update(1, 2, "checked")
    assert stream.getvalue() == ""


def _read_all(fd: int) -> bytes:
    data = b""
    while select.select([fd], [], [], 0.5)[0]:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # Linux: EIO once the terminal side is closed and drained
            break
        if not chunk:
            break
        data += chunk
    return data


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_check_draws_the_bar_on_a_terminal_stderr(project: Path, monkeypatch, capsys, jobs: str) -> None:
    for name in "abc":
        (project / f"{name}.py").write_text(GG101_SNIPPET if name == "b" else CLEAN_SNIPPET, encoding="utf-8")
    monkeypatch.setattr(cli, "PROGRESS_AFTER_SECONDS", 0.0)  # as if the run had been long
    monkeypatch.setattr(checking, "PARALLEL_MIN_BYTES", 0)  # --jobs 2: worker processes, results as they come
    monkeypatch.chdir(project)
    controller, terminal = pty.openpty()
    with open(terminal, "w", encoding="utf-8", closefd=True) as stderr:
        monkeypatch.setattr("sys.stderr", stderr)
        status = cli.main(["check", "--no-cache", "--jobs", jobs, "."])
    shown = _read_all(controller).decode()
    os.close(controller)
    assert status == 1
    assert "3/3 files checked" in shown and shown.endswith("\r\x1b[K")  # drawn, then erased before the report
    assert capsys.readouterr().out.startswith("b.py:2:6: GG101 ")
