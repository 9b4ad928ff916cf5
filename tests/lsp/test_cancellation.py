"""A long fix-all (a large file with many findings) never holds up quick fixes, of this document or
another, and a cancelled one stops its worker instead of computing on for nobody. Ordering and process
checks only: no timing assertion."""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path

from raw_client import RawServer

FINDING = """def probe_{i}(model, x):
    with torch.no_grad:
        return model(x)


"""
REGION = "def infer(model, x):\n    with torch.no_grad():\n        y = model(x)\n    return y\n"  # line 3 of it
LARGE = "import torch\n\n\n" + REGION + "\n\n" + "".join(FINDING.format(i=i) for i in range(120))
SMALL = "import torch\nwith torch.no_grad:\n    pass\n"
REQUEST_CANCELLED = -32800


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            found |= {int(child) for child in (task / "children").read_text().split()}
    return found


def running(pid: int) -> bool:
    try:
        state = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("State:"))
    except (OSError, StopIteration):
        return False
    return "Z" not in state.split()[1]  # a zombie has stopped: it only waits to be reaped


def wait_for(predicate, what: str, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        assert time.monotonic() < deadline, what
        time.sleep(0.05)
    return result


def code_action(server: RawServer, uri: str, diagnostics: list, only: str) -> int:
    return server.request(
        "textDocument/codeAction",
        {
            "textDocument": {"uri": uri},
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
            "context": {"diagnostics": diagnostics, "only": [only]},
        },
    )


def test_a_long_fix_all_neither_blocks_quick_fixes_nor_runs_on_once_cancelled(tmp_path: Path) -> None:
    with RawServer([sys.executable, "-m", "gradguard"], tmp_path) as server:
        server.initialize(tmp_path)
        large = server.open(tmp_path / "large.py", LARGE)
        small = server.open(tmp_path / "small.py", SMALL)
        assert len(server.diagnostics(large)) == 120
        small_findings = server.diagnostics(small)

        def region_hover():  # the fix worker has started once the analysis is in (the hover knows the region)
            reply = server.response(
                server.request(
                    "textDocument/hover", {"textDocument": {"uri": large}, "position": {"line": 5, "character": 8}}
                )
            )
            return reply and "disabled" in reply["contents"]["value"]

        wait_for(region_hover, "no hover for the grad-disabled region")
        workers = children(server.process.pid)
        fix_all = code_action(server, large, [], "source.fixAll.gradguard")
        quick = code_action(server, small, small_findings, "quickfix")  # another document
        assert any(action.get("isPreferred") for action in server.response(quick))
        own = code_action(server, large, server.diagnostics(large)[:1], "quickfix")  # the same document
        assert any(action.get("isPreferred") for action in server.response(own))
        assert not any(message.get("id") == fix_all for message in server.received)  # still computing
        (fix_all_worker,) = wait_for(lambda: children(server.process.pid) - workers, "no worker for the fix-all")

        server.notify("$/cancelRequest", {"id": fix_all})
        assert server.reply(fix_all)["error"]["code"] == REQUEST_CANCELLED
        wait_for(lambda: not running(fix_all_worker), "the cancelled fix-all's worker still runs")

        again = code_action(server, small, [], "source.fixAll.gradguard")  # a new worker takes the next one
        (action,) = server.response(again)
        assert action["kind"] == "source.fixAll.gradguard"
        server.response(server.request("shutdown"))
        server.notify("exit")
        assert server.exit_code() == 0


def test_the_lightbulb_does_not_start_a_fix_all(tmp_path: Path) -> None:
    """VS Code asks at every cursor move (triggerKind 2, no `only`) and shows no source action there."""
    with RawServer([sys.executable, "-m", "gradguard"], tmp_path) as server:
        server.initialize(tmp_path)
        uri = server.open(tmp_path / "small.py", SMALL)
        findings = server.diagnostics(uri)

        def actions(trigger_kind: int) -> list:
            return server.response(
                server.request(
                    "textDocument/codeAction",
                    {
                        "textDocument": {"uri": uri},
                        "range": findings[0]["range"],
                        "context": {"diagnostics": findings, "triggerKind": trigger_kind},
                    },
                )
            )

        automatic = actions(2)
        assert any(action.get("isPreferred") for action in automatic)  # the quick fixes are there
        assert [a for a in automatic if a["kind"].startswith("source")] == []
        invoked = actions(1)  # asked for (Ctrl+. / a menu): every kind
        assert [a["kind"] for a in invoked if a["kind"].startswith("source")] == [
            "source.fixAll.gradguard",
            "source.fixAllUnsafe.gradguard",
        ]
