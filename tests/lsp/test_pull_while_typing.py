"""Pull diagnostics while someone types, the way VS Code's language client pulls (vscode-languageclient 11,
`DiagnosticRequestor.pullAsync`): one pull of a document at a time; a change cancels the pull in flight
(`$/cancelRequest`) and the next pull goes out once the cancelled one is answered; a
`workspace/diagnostic/refresh` pulls again. Before, every pull waited for the analysis of its own text,
which the next keystroke cancelled: nothing was shown until the typing stopped (issue 15)."""

import asyncio
import re
import sys
from collections import Counter
from pathlib import Path

import pytest_lsp
from gradguard.findings import Finding, Span
from gradguard.lsp.documents import Layout, Program
from gradguard.lsp.state import GradGuardServer
from lsp_helpers import NOT_CALLED, SERVER, change, open_doc, wait_until
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities
from test_scheduling import TRAINING_BLOCK

KEY_INTERVAL_SECONDS = 0.15  # a person typing
KEYSTROKES = 40
# A module-level statement in the middle of a 5,000-line script: typing there changes what every function
# may read, so each text is analysed whole (longer than the time between two keys on this machine).
HALF = "".join(TRAINING_BLOCK.format(i=i) for i in range(270))
TYPED_FILE = "import torch\n\n\n" + HALF + "steps = 100\n\n\n" + HALF.replace("_step_", "_step_b") + NOT_CALLED
TYPED_LINE = TYPED_FILE.splitlines().index("steps = 100")
FINDING_LINE = len(TYPED_FILE.splitlines()) - 2  # `with torch.no_grad:`
FINDING = Finding("GG101", "no-grad-not-called", "warning", "`torch.no_grad` is not called", Span(1, 5, 1, 18))


@pytest_lsp.fixture(config=SERVER)
async def vscode_like(lsp_client: LanguageClient, tmp_path):
    """Pulls diagnostics, can be asked to pull again, and has the script's folder open (as VS Code has)."""
    capabilities = client_capabilities("neovim@v0.10.0")
    capabilities.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    lsp_client.traces = []
    lsp_client.feature(types.LOG_TRACE)(lambda params: lsp_client.traces.append(params.message))
    folder = types.WorkspaceFolder(uri=tmp_path.as_uri(), name=tmp_path.name)
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities,
            root_uri=tmp_path.as_uri(),
            workspace_folders=[folder],
            trace=types.TraceValue.Verbose,
        )
    )
    yield
    await lsp_client.shutdown_session()


class PullingEditor:
    """One pull in flight per document; a change cancels it and pulls again once it is answered."""

    def __init__(self, client: LanguageClient, uri: str) -> None:
        self.client, self.uri = client, uri
        self.ids = iter(range(sys.maxsize))
        self.in_flight: str | None = None
        self.superseded = False  # the pull in flight was cancelled: its answer is not shown
        self.shown: list[types.FullDocumentDiagnosticReport] = []  # answers the editor shows, in order

    def pull(self) -> None:
        if self.in_flight is not None:
            if not self.superseded:
                self.superseded = True
                self.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=self.in_flight))
            return
        self.in_flight = f"pull-{next(self.ids)}"
        future = self.client.protocol.send_request(
            types.TEXT_DOCUMENT_DIAGNOSTIC,
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=self.uri)),
            msg_id=self.in_flight,
        )
        asyncio.wrap_future(future).add_done_callback(self._answered)

    def _answered(self, future: asyncio.Future) -> None:
        superseded, self.in_flight, self.superseded = self.superseded, None, False
        if not superseded and future.exception() is None:
            self.shown.append(future.result())
        if superseded:
            self.pull()


def analysed_versions(client: LanguageClient, uri: str) -> Counter:
    return Counter(
        match.group(1)
        for message in client.traces
        if (match := re.search(rf"analysed {re.escape(uri)} version \((\d+),\)", message))
    )


def finding_lines(report: types.FullDocumentDiagnosticReport) -> list[int]:
    return [d.range.start.line for d in report.items if d.code == "GG101"]


async def test_pulls_while_typing_are_answered_with_the_findings_moved(vscode_like: LanguageClient, tmp_path: Path):
    client = vscode_like
    uri = (tmp_path / "train.py").as_uri()
    editor = PullingEditor(client, uri)
    open_doc(client, uri, TYPED_FILE)
    editor.pull()
    await wait_until(lambda: editor.shown and editor.in_flight is None, timeout=60)
    assert finding_lines(editor.shown[-1]) == [FINDING_LINE]

    # A new line above the finding (it moves down one), then spaces typed after `steps = 100`, 150 ms apart.
    change(client, uri, 2, (TYPED_LINE, 0), (TYPED_LINE, 0), "\n")
    editor.pull()
    await asyncio.sleep(KEY_INTERVAL_SECONDS)
    shown_before_typing = len(editor.shown)
    end = len("steps = 100")
    for version in range(3, KEYSTROKES + 3):
        change(client, uri, version, (TYPED_LINE + 1, end), (TYPED_LINE + 1, end), " ")
        end += 1
        editor.pull()
        await asyncio.sleep(KEY_INTERVAL_SECONDS)
    while_typing = editor.shown[shown_before_typing:]

    assert while_typing, "no pull made while typing was answered"
    for report in while_typing:
        assert finding_lines(report) == [FINDING_LINE + 1]

    # Once the newest text's result is in, the server asks to pull again, and the pull gets it.
    last = KEYSTROKES + 2
    await wait_until(lambda: analysed_versions(client, uri)[str(last)] and client.diagnostic_refresh_count, timeout=60)
    editor.pull()
    await wait_until(lambda: editor.in_flight is None and editor.shown[-1].result_id is not None, timeout=60)
    assert finding_lines(editor.shown[-1]) == [FINDING_LINE + 1]
    # Each text is analysed once at most (issue 15 item 2); the texts typed over while another one was
    # analysed are not analysed at all.
    counts = {version: n for version, n in analysed_versions(client, uri).items() if int(version) > 1}
    assert set(counts.values()) == {1}, counts


async def test_a_pull_whose_results_keep_being_dropped_is_answered_with_the_findings_kept() -> None:
    """A notebook edited during each of its analyses drops each result (its cells' edits cannot be followed).
    After three in a row, a pull was answered with no findings, which cleared the editor's; it now gets the
    findings the server keeps (moved through the edits it could follow), and the newest text is analysed."""
    server = GradGuardServer()
    kept = Program("file:///notebook.ipynb", Layout(("cell-1",)), findings=[FINDING])
    server.programs[kept.key] = kept
    scheduled: list[str] = []

    async def dropped(key: str) -> None:
        return None

    server.program_key = lambda uri: kept.key
    server.refresh = dropped
    server.can_ask_to_pull_again = lambda: True
    server.is_current = lambda key, program: False  # the findings kept are an older text's
    server.schedule = lambda key, quiet=0: scheduled.append(key)
    try:
        assert await server.pulled_analysis("cell-1") is kept
        assert scheduled == [kept.key]
    finally:
        server.stop_workers()
