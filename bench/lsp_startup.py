"""Language-server start-up: prints a table, asserts nothing.

Per round, a fresh `python -m gradguard` (workspace folder: a temporary directory holding the file),
then didOpen of a generated training script (bench/lsp_latency.py's generator):
- start -> first diagnostics: from spawning the server to the publishDiagnostics of the opened file,
- open -> first diagnostics: from didOpen to that publication,
- CPU seconds of the server and its worker processes at that moment, and which of them had loaded libcst
  (read from /proc/<pid>/maps: Linux only).

Run: python bench/lsp_startup.py [--rounds 5] [--lines 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

sys.path.insert(0, str(Path(__file__).parent))
from lsp_latency import generate

TICKS = os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                    found.append(int(entry.name))
                    frontier.append(int(entry.name))
    return found


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def loaded_libcst(pid: int) -> bool:
    try:
        return "libcst" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


async def one_round(text: str) -> tuple[float, float, float, int, int]:
    client = LanguageClient("gradguard-startup-bench", "1")
    published = asyncio.get_running_loop().create_future()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_publish(params: types.PublishDiagnosticsParams) -> None:
        if not published.done():
            published.set_result(params)

    @client.feature(types.WINDOW_LOG_MESSAGE)
    def on_log(params: types.LogMessageParams) -> None:
        pass

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "train.py"
        path.write_text(text)
        started = time.perf_counter()
        await client.start_io(sys.executable, "-m", "gradguard")
        await client.initialize_async(
            types.InitializeParams(capabilities=types.ClientCapabilities(), root_uri=Path(folder).as_uri())
        )
        client.initialized(types.InitializedParams())
        opened = time.perf_counter()
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=path.as_uri(), language_id="python", version=1, text=text)
            )
        )
        await asyncio.wait_for(published, 120)
        done = time.perf_counter()
        server = client._server.pid
        processes = [server, *descendants(server)]
        cpu = sum(cpu_seconds(pid) for pid in processes)
        with_libcst = sum(loaded_libcst(pid) for pid in processes)
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
    return done - started, done - opened, cpu, len(processes), with_libcst


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--lines", type=int, default=1000)
    args = parser.parse_args()
    text = generate(args.lines)
    rounds = [await one_round(text) for _ in range(args.rounds)]
    print(f"{args.lines}-line file, {args.rounds} rounds, load {os.getloadavg()[0]:.1f}; medians:")
    print("start->diagnostics ms  open->diagnostics ms  CPU s (all processes)  processes  with libcst")
    columns = list(zip(*rounds))
    print(
        f"{statistics.median(columns[0]) * 1000:21.0f} {statistics.median(columns[1]) * 1000:21.0f} "
        f"{statistics.median(columns[2]):22.2f} {max(columns[3]):10d} {max(columns[4]):11d}"
    )


if __name__ == "__main__":
    asyncio.run(main())
