"""Language-server memory over many edits: prints the resident set size (RSS) of the server process and
of its worker processes every `--every` edits; asserts nothing.

One 300-line document is opened and edited (a one-character change, alternately made and undone) with
incremental didChange notifications, in bursts of `--burst` edits; after each burst the bench waits for
the diagnostics of that version (so every burst is analysed and published, as when someone types and
pauses). Linux only (reads /proc).

Run: python bench/lsp_memory.py [--edits 50000] [--every 2500] [--burst 10]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BLOCK = """\
def evaluate_{i}(model, loader):
    model.eval()
    total = 0.0
    with torch.no_grad():
        for x, y in loader:
            total += float(model(x).sum())
    return total


def probe_{i}(model, x):
    with torch.no_grad:
        return model(x)


"""
TEXT = "import torch\n\n\n" + "".join(BLOCK.format(i=i) for i in range(20))
EDIT_LINE = 5  # `    total = 0.0` of the first block: `0.0` <-> `1.0`


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            found += [int(child) for child in (task / "children").read_text().split()]
    return found


class Server:
    def __init__(self, folder: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-m", "gradguard"],
            cwd=folder,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.published_version = 0
        self.answered: set[int] = set()
        self.changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def send(self, message: dict) -> None:
        body = json.dumps(message).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            length = 0
            while (line := stream.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line:
                return
            message = json.loads(stream.read(length))
            with self.changed:
                if message.get("method") == "textDocument/publishDiagnostics":
                    self.published_version = max(self.published_version, message["params"].get("version") or 0)
                elif "id" in message and "method" not in message:
                    self.answered.add(message["id"])
                self.changed.notify_all()

    def wait(self, condition) -> None:
        with self.changed:
            if not self.changed.wait_for(condition, timeout=120):
                raise TimeoutError("the server did not answer within 120 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=50_000)
    parser.add_argument("--every", type=int, default=2_500)
    parser.add_argument("--burst", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.py"
        path.write_text(TEXT)
        uri = path.as_uri()
        server = Server(Path(folder))
        server.send(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {"processId": os.getpid(), "rootUri": Path(folder).as_uri(), "capabilities": {}},
            }
        )
        server.wait(lambda: 1 in server.answered)
        server.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        server.send(
            {
                "jsonrpc": "2.0",
                "method": "textDocument/didOpen",
                "params": {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": TEXT}},
            }
        )
        server.wait(lambda: server.published_version >= 1)
        pid = server.process.pid
        print(f"{'edits':>7} {'server RSS MB':>14} {'workers RSS MB':>15} {'seconds':>8}")
        started = time.monotonic()

        def report(edits: int) -> None:
            workers = sum(rss_kib(child) for child in children(pid))
            print(
                f"{edits:>7} {rss_kib(pid) / 1024:>14.1f} {workers / 1024:>15.1f} {time.monotonic() - started:>8.1f}",
                flush=True,
            )

        report(0)
        version = 1
        for edit in range(1, args.edits + 1):
            version += 1
            new = "1" if edit % 2 else "0"
            server.send(
                {
                    "jsonrpc": "2.0",
                    "method": "textDocument/didChange",
                    "params": {
                        "textDocument": {"uri": uri, "version": version},
                        "contentChanges": [
                            {
                                "range": {
                                    "start": {"line": EDIT_LINE, "character": 12},
                                    "end": {"line": EDIT_LINE, "character": 13},
                                },
                                "text": new,
                            }
                        ],
                    },
                }
            )
            if edit % args.burst == 0 or edit == args.edits:
                server.wait(lambda version=version: server.published_version >= version)
            if edit % args.every == 0:
                report(edit)
        server.send({"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
        server.wait(lambda: 2 in server.answered)
        server.send({"jsonrpc": "2.0", "method": "exit"})
        server.process.wait(60)


if __name__ == "__main__":
    main()
