"""Language-server latency: prints a table, asserts nothing.

For generated files of 1,000, 5,000 and 20,000 lines, over 50 edits each:
- didChange -> publishDiagnostics (no sooner than the server's debounce, CHANGE_DEBOUNCE_SECONDS, after
  the change; the analysis runs meanwhile),
- didChange + didSave -> publishDiagnostics (a save is analysed at once: analysis + conversion + transport),
- didChange -> publishDiagnostics for an edit that adds a line, and one that removes it (every statement
  after it moves, which the incremental analysis cannot reuse as it is),
- hover and code-action (quick fix for a finding) round trips; the edits alternate between two texts, so
  after the first round the fix engine's parse of the text is cached and a code action times the transform;
then the server's peak RSS with 100 open 1,000-line documents.

Run: python bench/lsp_latency.py
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from gradguard.lsp.state import CHANGE_DEBOUNCE_SECONDS
from lsprotocol import types
from pygls.lsp.client import LanguageClient

SIZES = (1_000, 5_000, 20_000)
EDITS = 50
OPEN_DOCUMENTS = 100
# The fix engine parses the whole file with libcst per code action; on a large file 50 of them can take
# hours, so each file's series stops after this budget and the table says how many edits it covered.
SERIES_BUDGET_SECONDS = 180

BLOCK = """\
def evaluate_{i}(model, loader):
    model.eval()
    total = 0.0
    with torch.no_grad():
        for x, y in loader:
            out = model(x)
            total += float((out - y).abs().sum())
    return total


def train_step_{i}(model, optimizer, x, y):
    model.train()
    optimizer.zero_grad()
    loss = (model(x) - y).pow(2).mean()
    loss.backward()
    optimizer.step()
    return loss.item()


"""
FINDING_BLOCK = """\
def probe_{i}(model, x):
    with torch.no_grad:
        return model(x)


"""


def generate(lines: int) -> str:
    """Realistic training/evaluation code with one GG101 finding every ten blocks."""
    parts, count, i = ["import torch\n\n\n"], 3, 0
    while count < lines:
        block = BLOCK.format(i=i) + (FINDING_BLOCK.format(i=i) if i % 10 == 0 else "")
        parts.append(block)
        count += block.count("\n")
        i += 1
    return "".join(parts)


class Bench:
    def __init__(self) -> None:
        self.client = LanguageClient("gradguard-bench", "1")
        self.published: dict[str, asyncio.Future] = {}
        self.latest: dict[str, types.PublishDiagnosticsParams] = {}

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_publish(params: types.PublishDiagnosticsParams) -> None:
            self.latest[params.uri] = params
            waiter = self.published.get(params.uri)
            if waiter and not waiter.done():
                waiter.set_result(params)

        @self.client.feature(types.WINDOW_LOG_MESSAGE)
        def on_log(params: types.LogMessageParams) -> None:
            pass

    async def start(self) -> None:
        await self.client.start_io(sys.executable, "-m", "gradguard")
        await self.client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities()))
        self.client.initialized(types.InitializedParams())

    def expect(self, uri: str) -> asyncio.Future:
        self.published[uri] = asyncio.get_running_loop().create_future()
        return self.published[uri]

    async def open(self, uri: str, text: str) -> None:
        waiter = self.expect(uri)
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text))
        )
        await asyncio.wait_for(waiter, 120)

    async def measure_file(self, uri: str, text: str) -> dict[str, list[float]]:
        await self.open(uri, text)
        lines = text.splitlines()
        middle = len(lines) // 2
        edit_line = next(n for n in range(middle, len(lines)) if lines[n].strip() == "total = 0.0")
        no_grad_line = next(n for n in range(middle, len(lines)) if "torch.no_grad()" in lines[n])
        results: dict[str, list[float]] = {"change": [], "save": [], "lines": [], "hover": [], "action": []}
        version = 1
        series_started = time.perf_counter()
        for n in range(EDITS):
            if time.perf_counter() - series_started > SERIES_BUDGET_SECONDS:
                break
            version += 1
            waiter = self.expect(uri)
            started = time.perf_counter()
            self.edit(uri, version, edit_line, "0.1" if n % 2 == 0 else "0.0")
            await asyncio.wait_for(waiter, 120)
            results["change"].append(time.perf_counter() - started)

            # the same edit undone and saved at once: a save analyses without waiting for the debounce
            version += 1
            waiter = self.expect(uri)
            started = time.perf_counter()
            self.edit(uri, version, edit_line, "0.0" if n % 2 == 0 else "0.1")
            self.client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri=uri)))
            await asyncio.wait_for(waiter, 120)
            results["save"].append(time.perf_counter() - started)

            for added in ("    count = 0\n", ""):  # add a line after the edited one, then remove it
                version += 1
                waiter = self.expect(uri)
                started = time.perf_counter()
                self.replace(
                    uri,
                    version,
                    types.Range(types.Position(edit_line + 1, 0), types.Position(edit_line + 1 + (not added), 0)),
                    added,
                )
                await asyncio.wait_for(waiter, 120)
                results["lines"].append(time.perf_counter() - started)

            started = time.perf_counter()
            await self.client.text_document_hover_async(
                types.HoverParams(types.TextDocumentIdentifier(uri=uri), types.Position(no_grad_line, 16))
            )
            results["hover"].append(time.perf_counter() - started)

            diagnostics = list(self.latest[uri].diagnostics)
            target = diagnostics[len(diagnostics) // 2]
            started = time.perf_counter()
            await self.client.text_document_code_action_async(
                types.CodeActionParams(
                    types.TextDocumentIdentifier(uri=uri),
                    target.range,
                    types.CodeActionContext(diagnostics=[target], only=[types.CodeActionKind.QuickFix]),
                )
            )
            results["action"].append(time.perf_counter() - started)
        return results

    def edit(self, uri: str, version: int, line: int, literal: str) -> None:
        """Replace the `0.0` of `total = 0.0` on `line` (same length: lines and columns stay put)."""
        self.replace(uri, version, types.Range(types.Position(line, 12), types.Position(line, 15)), literal)

    def replace(self, uri: str, version: int, where: types.Range, text: str) -> None:
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                [types.TextDocumentContentChangePartial(range=where, text=text)],
            )
        )

    def peak_rss_mib(self) -> tuple[float, float]:
        """Peak RSS of the server process, and of its worker processes (analysis, fixes) together."""
        server = self.client._server.pid
        children = Path(f"/proc/{server}/task/{server}/children").read_text().split()
        return _peak_rss_mib(server), sum(_peak_rss_mib(int(pid)) for pid in children)

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()


def _peak_rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")) / 1024


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered) * 1000:15.1f} {p95 * 1000:8.1f} {len(ordered):3d}"


async def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="gradguard-bench-"))
    columns = (
        "didChange->publish",
        "change+save->publish",
        "line added/removed->publish",
        "hover",
        "quick-fix code action",
    )
    print(f"{'lines':>6} | " + " | ".join(f"{c:>27}" for c in columns), flush=True)
    print(f"{'':>6} | " + " | ".join(f"{'median ms   p95 ms   n':>27}" for _ in columns), flush=True)
    for size in SIZES:
        bench = Bench()
        await bench.start()
        results = await bench.measure_file((folder / f"generated_{size}.py").as_uri(), generate(size))
        await bench.stop()
        print(
            f"{size:>6} | " + " | ".join(summary(results[k]) for k in ("change", "save", "lines", "hover", "action")),
            flush=True,
        )

    bench = Bench()
    await bench.start()
    text = generate(1_000)
    for n in range(OPEN_DOCUMENTS):
        await bench.open((folder / f"open_{n}.py").as_uri(), text)
    server, workers = bench.peak_rss_mib()
    print(
        f"\npeak RSS with {OPEN_DOCUMENTS} open 1,000-line documents: server {server:.0f} MiB, "
        f"worker processes {workers:.0f} MiB"
    )
    await bench.stop()
    print(
        f"(a change is published no sooner than {CHANGE_DEBOUNCE_SECONDS * 1000:.0f} ms after it, so bursts of typing "
        "coalesce; a save is published as soon as it is analysed)"
    )


if __name__ == "__main__":
    asyncio.run(main())
