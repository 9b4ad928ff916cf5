"""`gradguard check|server|rule|version`, the old flag spellings, and what a bare `gradguard` does:
serve LSP when an editor starts it (standard input a pipe), print the help on a terminal."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from gradguard import __version__
from gradguard.rules import RULES

from .conftest import GG101_SNIPPET, run_gradguard


def test_check_and_its_alias_report_the_same(project: Path) -> None:
    (project / "a.py").write_text(GG101_SNIPPET, encoding="utf-8")
    command = run_gradguard("check", "a.py", "--no-cache", cwd=project)
    alias = run_gradguard("--check", "a.py", "--no-cache", cwd=project)
    options_only = run_gradguard("--format", "json", "a.py", "--no-cache", cwd=project)  # an option means `check`
    assert command.returncode == alias.returncode == options_only.returncode == 1, command.stderr
    assert command.stdout == alias.stdout and command.stdout.startswith("a.py:2:6: GG101 ")
    assert [finding["code"] for finding in json.loads(options_only.stdout)] == ["GG101"]


def test_a_path_without_a_command_is_a_usage_error_naming_the_commands(project: Path) -> None:
    result = run_gradguard("a.py", cwd=project)
    assert result.returncode == 2
    assert "invalid choice: 'a.py'" in result.stderr and "'check'" in result.stderr


@pytest.mark.parametrize(
    "command, alias",
    [
        (["rule", "GG203"], ["--explain", "GG203"]),
        (["rule", "missing-eval"], ["--explain=missing-eval"]),
        (["rule", "--all"], ["--list-rules"]),
        (["version"], ["--version"]),
    ],
)
def test_rule_and_version_and_their_aliases(project: Path, command: list[str], alias: list[str]) -> None:
    result, old = run_gradguard(*command, cwd=project), run_gradguard(*alias, cwd=project)
    assert result.returncode == old.returncode == 0, result.stderr
    assert result.stdout == old.stdout != ""


def test_rule_output(project: Path) -> None:
    assert run_gradguard("rule", "GG203", cwd=project).stdout.startswith("# GG203 `train-mode-not-restored`")
    assert [line.split()[0] for line in run_gradguard("rule", "--all", cwd=project).stdout.splitlines()] == [
        r.code for r in RULES
    ]
    assert run_gradguard("version", cwd=project).stdout == f"gradguard {__version__}\n"
    unknown = run_gradguard("rule", "GG999", cwd=project)
    assert unknown.returncode == 2 and "rule --all" in unknown.stderr


def test_help_names_every_command(project: Path) -> None:
    result = run_gradguard("--help", cwd=project)
    assert result.returncode == 0
    assert all(f"    {command} " in result.stdout for command in ("check", "server", "rule", "version"))
    server = run_gradguard("server", "--help", cwd=project)
    assert server.returncode == 0 and server.stdout.startswith("usage: gradguard server ")


def _initialize(process: subprocess.Popen) -> dict:
    body = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {"processId": None, "rootUri": None, "capabilities": {}},
        }
    ).encode()
    process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    process.stdin.flush()
    length = 0
    while header := process.stdout.readline().strip():
        if header.lower().startswith(b"content-length:"):
            length = int(header.split(b":")[1])
    return json.loads(process.stdout.read(length))


@pytest.mark.parametrize("args", [[], ["--stdio"], ["server"], ["server", "--stdio"]])
def test_started_by_an_editor_it_serves_lsp_on_stdio(project: Path, args: list[str]) -> None:
    """As the VS Code client starts it: `python -m gradguard`, standard input and output pipes."""
    process = subprocess.Popen(
        [sys.executable, "-m", "gradguard", *args],
        cwd=project,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        reply = _initialize(process)
        assert reply["id"] == 1 and reply["result"]["serverInfo"]["name"].lower() == "gradguard"
    finally:
        process.kill()
        process.wait(timeout=60)


def test_on_a_terminal_a_bare_gradguard_prints_the_help(project: Path) -> None:
    """Typed in a shell with nothing after it, it must not sit silently waiting for JSON-RPC."""
    controller, terminal = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "gradguard"],
            cwd=project,
            stdin=terminal,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        os.close(controller)
        os.close(terminal)
    assert result.returncode == 2
    assert result.stdout.startswith("usage: gradguard ") and "commands:" in result.stdout
