"""Pull diagnostics while typing: prints a table, asserts nothing.

As VS Code does: a client that pulls (`textDocument/diagnostic`) opens a generated training script
(bench/lsp_latency.py's generator) and types spaces at the end of a line in the middle, one every 150 ms, pulling after
each keystroke. For each version: keystroke -> answer of its pull. The server's verbose trace
(`$/logTrace`) counts the analyses it ran.

Run: python bench/lsp_pull.py [--lines 5000] [--edits 20]
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

TYPING_INTERVAL_SECONDS = 0.15


async def run(lines: int, edits: int) -> tuple[list[float], int]:
    client = LanguageClient("gradguard-pull-bench", "1")
    traces: list[str] = []
    client.feature(types.LOG_TRACE)(lambda params: traces.append(params.message))
    client.feature(types.WINDOW_LOG_MESSAGE)(lambda params: None)
    capabilities = types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            diagnostic=types.DiagnosticClientCapabilities(dynamic_registration=False)
        )
    )
    text = generate(lines)
    middle = text.count("\n") // 2
    end = len(text.splitlines()[middle])  # spaces typed at the end of the line: the code still parses
    with tempfile.TemporaryDirectory() as folder:
        uri = (Path(folder) / "train.py").as_uri()
        await client.start_io(sys.executable, "-m", "gradguard")
        await client.initialize_async(types.InitializeParams(capabilities=capabilities, trace=types.TraceValue.Verbose))
        client.initialized(types.InitializedParams())
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text))
        )
        identifier = types.TextDocumentIdentifier(uri=uri)
        await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(text_document=identifier))
        traces.clear()

        async def timed_pull(typed: float) -> float:
            await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(text_document=identifier))
            return time.perf_counter() - typed

        pulls = []
        for version in range(2, edits + 2):
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[
                        types.TextDocumentContentChangePartial(
                            range=types.Range(types.Position(middle, end), types.Position(middle, end)), text=" "
                        )
                    ],
                )
            )
            end += 1
            pulls.append(asyncio.ensure_future(timed_pull(time.perf_counter())))
            await asyncio.sleep(TYPING_INTERVAL_SECONDS)
        latencies = await asyncio.gather(*pulls)
        await asyncio.sleep(1)  # analyses still queued are counted too
        analyses = sum("analysed" in message for message in traces)
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
    return latencies, analyses


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--edits", type=int, default=20)
    args = parser.parse_args()
    latencies, analyses = await run(args.lines, args.edits)
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(
        f"{args.lines} lines, {args.edits} keystrokes every {TYPING_INTERVAL_SECONDS * 1000:.0f} ms, "
        f"load {os.getloadavg()[0]:.1f}: keystroke -> pull answered median {statistics.median(ordered) * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms; analyses run: {analyses or 'not traced by this server'}"
    )


if __name__ == "__main__":
    asyncio.run(main())
