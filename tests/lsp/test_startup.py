"""Start-up: before the first document is opened only the analysis worker starts (the workspace index
and the fix worker start after the first analysis); bench/lsp_startup.py measures the time."""

import sys
from pathlib import Path

from lsp_helpers import NOT_CALLED
from raw_client import RawServer
from test_cancellation import children, wait_for


def workers(server: RawServer) -> set[int]:
    """The server's worker processes (multiprocessing's resource tracker is not one)."""
    return {pid for pid in children(server.process.pid) if "resource_tracker" not in command_line(pid)}


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_only_the_analysis_worker_starts_before_the_first_analysis(tmp_path: Path) -> None:
    (tmp_path / "other.py").write_text("import torch\n")  # a workspace to index
    with RawServer([sys.executable, "-m", "gradguard"], tmp_path) as server:
        server.initialize(tmp_path)
        hover = server.request(
            "textDocument/hover",
            {"textDocument": {"uri": (tmp_path / "x.py").as_uri()}, "position": {"line": 0, "character": 0}},
        )
        server.reply(hover)  # handled after `initialized`
        wait_for(lambda: workers(server), "no analysis worker")
        assert len(workers(server)) == 1

        uri = server.open(tmp_path / "model.py", NOT_CALLED)
        assert [d["code"] for d in server.diagnostics(uri)] == ["GG101"]
        # analysis and fixes: the hover's regions and API names come with the analysis, from no worker of their own
        wait_for(lambda: len(workers(server)) == 2, "the fix worker did not start")
        hover = server.response(
            server.request(
                "textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 1, "character": 12}}
            )
        )
        assert "**`torch.no_grad`**" in hover["contents"]["value"]
        assert len(workers(server)) == 2


def test_the_analysis_worker_starts_before_the_handshake(tmp_path: Path) -> None:
    """`gradguard server` starts its analysis worker before it imports pygls and lsprotocol (half a second), so
    the worker's start (Python, then the analysis imports) overlaps them instead of holding up the first
    analysis (issue 15 item 3). Without a word from the client, the worker is there; the server then uses it."""
    with RawServer([sys.executable, "-m", "gradguard"], tmp_path) as server:
        early = wait_for(lambda: workers(server), "no analysis worker before the client's initialize", timeout=30)
        server.initialize(tmp_path)
        uri = server.open(tmp_path / "model.py", NOT_CALLED)
        assert [d["code"] for d in server.diagnostics(uri)] == ["GG101"]
        assert early <= workers(server)
