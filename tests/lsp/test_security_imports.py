"""The language server never imports a module of the workspace, started the ways editors start it:
the installed `gradguard` command or `python -I -m gradguard` with the workspace as working directory
(what the README and the Neovim and Emacs drivers of tests/e2e do), and `python -m gradguard` from the
extension's own folder (the VS Code extension; client/test/server.test.ts pins that command line).

Plain `python -m gradguard` with the workspace as working directory cannot be made safe by any code of
ours: `-m` puts the working directory first on `sys.path`, and Python imports `runpy`'s own imports
from there before gradguard is even found."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from raw_client import RawServer

INSTALLED = Path(sys.executable).with_name("gradguard")
SAMPLE = """import torch


def evaluate(model, x):
    with torch.no_grad:
        return model(x)


def infer(model, x):
    with torch.no_grad():
        y = model(x)
    return y
"""  # GG101 on line 5; gradients are disabled on line 11


@pytest.mark.parametrize("launch", ["installed command", "python -I -m", "vscode extension"])
def test_server_and_its_workers_import_nothing_from_the_workspace(planted_tree, tmp_path: Path, launch: str) -> None:
    extension = tmp_path / "extension"
    extension.mkdir()
    argv, cwd = {
        "installed command": ([str(INSTALLED)], planted_tree.root),
        "python -I -m": ([sys.executable, "-I", "-m", "gradguard"], planted_tree.root),
        "vscode extension": ([sys.executable, "-m", "gradguard"], extension),
    }[launch]
    with RawServer(argv, cwd) as server:
        server.initialize(planted_tree.root)
        uri = server.open(planted_tree.root / "model.py", SAMPLE)
        (diagnostic,) = server.diagnostics(uri)  # the analysis worker (the workspace index runs there too)
        assert (diagnostic["code"], diagnostic["range"]["start"]["line"]) == ("GG101", 4)
        actions = server.response(
            server.request(
                "textDocument/codeAction",
                {  # the fix worker
                    "textDocument": {"uri": uri},
                    "range": diagnostic["range"],
                    "context": {"diagnostics": [diagnostic], "only": ["quickfix"]},
                },
            )
        )
        assert any("no_grad()" in action["title"] or action.get("isPreferred") for action in actions)
        assert "disabled" in hover_in_region(server, uri)  # the regions worker
        server.response(server.request("shutdown"))
        server.notify("exit")
        assert server.exit_code() == 0
    assert planted_tree.imported() == []


def hover_in_region(server: RawServer, uri: str) -> str:
    """Regions are computed after the diagnostics are published: ask until they are there."""
    deadline = time.monotonic() + 60
    while True:
        hover = server.response(
            server.request(
                "textDocument/hover",
                {
                    "textDocument": {"uri": uri},
                    "position": {"line": 10, "character": 8},
                },
            )
        )
        if hover is not None or time.monotonic() > deadline:
            return hover["contents"]["value"] if hover else ""
        time.sleep(0.05)
