"""What VS Code sends around a hover and a quick fix, from a plain client: prints a table, asserts nothing.

On bench/editor_latency.py's training script (one GG201 finding at the end), with the script's folder open
and pulled diagnostics, the client repeats what VS Code's trace (code-server 4.139) shows around each hover (issue 15):
an edit (a new line, then its removal) and its pull; the lightbulb's code action at the cursor (automatic,
no `only`); Show Hover, which sends the hover and, for the problem's "Quick Fix..." link, a code action
for quick fixes (invoked) at the same time; then Ctrl+., a code action invoked for every kind (no `only`).
Round trips of each, median and p95 over the cycles. Compare a version with `PYTHONPATH=<its server/>`.

Run: python bench/lsp_editor_traffic.py [--lines 5000] [--cycles 10]
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
from editor_latency import training_script

CAPABILITIES = types.ClientCapabilities(
    text_document=types.TextDocumentClientCapabilities(
        diagnostic=types.DiagnosticClientCapabilities(dynamic_registration=False),
        code_action=types.CodeActionClientCapabilities(
            code_action_literal_support=types.ClientCodeActionLiteralOptions(
                code_action_kind=types.ClientCodeActionKindOptions(value_set=["quickfix", "source"])
            ),
            data_support=True,
            resolve_support=types.ClientCodeActionResolveOptions(properties=["edit"]),
        ),
    ),
    workspace=types.WorkspaceClientCapabilities(
        diagnostics=types.DiagnosticWorkspaceClientCapabilities(refresh_support=True),
        workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True),
    ),
)


def summary(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered) * 1000:6.0f} {p95 * 1000:6.0f}"


async def run(lines: int, cycles: int) -> dict[str, list[float]]:
    client = LanguageClient("gradguard-traffic-bench", "1")
    for method in (types.WINDOW_LOG_MESSAGE, types.WORKSPACE_DIAGNOSTIC_REFRESH, types.CLIENT_REGISTER_CAPABILITY):
        client.feature(method)(lambda params: None)
    text = training_script(lines)
    rows = text.splitlines()
    blank = next(n for n in range(len(rows) // 2, len(rows) - 1) if rows[n] == rows[n + 1] == "")
    times: dict[str, list[float]] = {"hover": [], "quick fixes (hover)": [], "lightbulb": [], "Ctrl+.": []}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "train.py"
        path.write_text(text)
        uri, identifier = path.as_uri(), types.TextDocumentIdentifier(uri=path.as_uri())
        await client.start_io(sys.executable, "-m", "gradguard")
        await client.initialize_async(
            types.InitializeParams(
                capabilities=CAPABILITIES,
                root_uri=Path(folder).as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=Path(folder).as_uri(), name="bench")],
            )
        )
        client.initialized(types.InitializedParams())
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text))
        )

        async def pull() -> types.Diagnostic:
            params = types.DocumentDiagnosticParams(text_document=identifier)
            report = await client.text_document_diagnostic_async(params)
            return next(d for d in report.items if d.code == "GG201")

        async def timed(request) -> float:
            started = time.perf_counter()
            await request
            return time.perf_counter() - started

        def code_action(finding: types.Diagnostic, at: types.Range, only, trigger: types.CodeActionTriggerKind):
            context = types.CodeActionContext(diagnostics=[finding], only=only, trigger_kind=trigger)
            return client.text_document_code_action_async(
                types.CodeActionParams(text_document=identifier, range=at, context=context)
            )

        await pull()
        await asyncio.sleep(2)  # a person reads the file for a moment
        for version in range(2, cycles + 2):
            added = version % 2 == 0
            change = types.TextDocumentContentChangePartial(
                range=types.Range(types.Position(blank, 0), types.Position(blank + (0 if added else 1), 0)),
                text="\n" if added else "",
            )
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[change],
                )
            )
            await pull()
            await asyncio.sleep(0.3)
            finding = await pull()
            cursor = types.Range(finding.range.end, finding.range.end)
            automatic, invoked = types.CodeActionTriggerKind.Automatic, types.CodeActionTriggerKind.Invoked
            times["lightbulb"].append(await timed(code_action(finding, cursor, None, automatic)))
            await asyncio.sleep(0.15)
            hover_link = asyncio.ensure_future(timed(code_action(finding, finding.range, ["quickfix"], invoked)))
            hover = types.HoverParams(text_document=identifier, position=finding.range.end)
            times["hover"].append(await timed(client.text_document_hover_async(hover)))
            times["quick fixes (hover)"].append(await hover_link)
            await asyncio.sleep(0.1)
            times["Ctrl+."].append(await timed(code_action(finding, cursor, None, invoked)))
            await asyncio.sleep(0.5)
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
    return times


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--cycles", type=int, default=10)
    args = parser.parse_args()
    times = await run(args.lines, args.cycles)
    print(f"{args.lines} lines, {args.cycles} cycles, load {os.getloadavg()[0]:.1f}; ms, median p95:")
    print("  ".join(f"{name}: {summary(samples)}" for name, samples in times.items()))


if __name__ == "__main__":
    asyncio.run(main())
