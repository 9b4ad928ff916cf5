"""Bad input over LSP (the server half of tests/cli/test_bad_input.py): each case gets a clear answer
(a diagnostic, a log message or an empty answer), the server keeps serving normal documents
afterwards, and files on disk are never touched."""

from __future__ import annotations

import json
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import pytest_lsp
from gradguard.analysis import analyze
from lsp_helpers import (
    NOT_CALLED,
    SERVER,
    change,
    code_actions,
    codes,
    file_uri,
    hover_text,
    open_doc,
    published,
    record_publications,
    wait_until,
)
from lsprotocol import types
from pytest_lsp import LanguageClient

# Generous bounds: only there so a hang fails the test instead of blocking the run.
SLOW = 120.0
EVALUATION = (
    "import torch\n\ndef evaluate(model, loader):\n    model.eval()\n    for x in loader:\n        y = model(x)\n"
)
GG201_LINE = 5  # `y = model(x)` above: a forward pass with gradients on, in evaluation code


def write_on_disk(tmp_path: Path, name: str, data: bytes) -> str:
    (tmp_path / name).write_bytes(data)
    return file_uri(tmp_path, name)


async def assert_still_serving(client: LanguageClient, tmp_path: Path) -> None:
    """A normal document opened afterwards gets its finding."""
    uri = file_uri(tmp_path, "afterwards.py")
    open_doc(client, uri, NOT_CALLED)
    await wait_until(lambda: codes(published(client, uri)) == ["GG101"], SLOW)


def no_tracebacks(client: LanguageClient) -> bool:
    return not any("Traceback" in m.message or "Error:" in m.message for m in client.log_messages)


# ---------------------------------------------------------------------- size


async def test_one_megabyte_line_is_analysed(client: LanguageClient, tmp_path: Path):
    text = "import torch\nx = [" + "1, " * 350_000 + "]\nwith torch.no_grad:\n    pass\n"
    assert len(text) > 1_000_000
    uri = write_on_disk(tmp_path, "one_line.py", text.encode())
    open_doc(client, uri, text)
    await wait_until(lambda: published(client, uri), SLOW)
    (diagnostic,) = published(client, uri)
    assert (diagnostic.code, diagnostic.range.start.line) == ("GG101", 2)
    # A hover far out on the huge line is answered (there is nothing to say there).
    assert await hover_text(client, uri, 1, 900_000) == ""
    await assert_still_serving(client, tmp_path)
    assert no_tracebacks(client)
    assert (tmp_path / "one_line.py").read_text() == text


async def test_fifty_thousand_lines_get_the_finding_at_the_end(client: LanguageClient, tmp_path: Path):
    text = "import torch\n" + "x = 1\n" * 50_000 + "with torch.no_grad:\n    pass\n"
    uri = write_on_disk(tmp_path, "long.py", text.encode())
    open_doc(client, uri, text)
    await wait_until(lambda: published(client, uri), SLOW)
    (diagnostic,) = published(client, uri)
    assert diagnostic.code == "GG101"
    assert diagnostic.range == types.Range(types.Position(50_001, 5), types.Position(50_001, 18))
    await assert_still_serving(client, tmp_path)
    assert (tmp_path / "long.py").read_text() == text


# ---------------------------------------------------------------------- nesting


@pytest.mark.parametrize(
    "nested, reason",
    [
        ("x = " + "(" * 2000 + "1" + ")" * 2000, "too many nested parentheses"),
        ("        z = " + " + ".join(["x"] * 5000), "code nests too deeply to parse"),  # ast.parse: RecursionError
    ],
)
async def test_too_deeply_nested_code_gets_a_note(client: LanguageClient, tmp_path: Path, nested: str, reason: str):
    text = EVALUATION + nested + "\n"
    uri = write_on_disk(tmp_path, "nested.py", text.encode())
    open_doc(client, uri, text)
    await wait_until(lambda: published(client, uri), SLOW)
    (note,) = published(client, uri)
    assert note.severity == types.DiagnosticSeverity.Information
    assert reason in note.message and note.message.startswith("GradGuard paused here")
    assert await hover_text(client, uri, GG201_LINE, 12) == ""
    await assert_still_serving(client, tmp_path)
    assert no_tracebacks(client)  # no RecursionError escaped into a handler
    assert (tmp_path / "nested.py").read_text() == text


async def test_deep_expression_that_parses_is_analysed_hovered_and_fixed(client: LanguageClient, tmp_path: Path):
    # 2,500 unary minus signs parse (the parser's limit is lower for parentheses), then walk
    # the dataflow engine (with the hover's regions) and libcst for the quick fix: each one deep.
    text = EVALUATION.replace("y = model(x)", "y = " + "-" * 2500 + "model(x)")
    uri = write_on_disk(tmp_path, "deep.py", text.encode())
    open_doc(client, uri, text)
    await wait_until(lambda: published(client, uri), SLOW)
    (diagnostic,) = published(client, uri)
    assert (diagnostic.code, diagnostic.range.start.line) == ("GG201", GG201_LINE)
    assert "GG201" in await hover_text(client, uri, GG201_LINE, diagnostic.range.start.character)
    actions = await code_actions(client, uri, [diagnostic], only=[types.CodeActionKind.QuickFix])
    assert len(actions) > 0
    await assert_still_serving(client, tmp_path)
    assert no_tracebacks(client)
    assert (tmp_path / "deep.py").read_text() == text


# ---------------------------------------------------------------------- edits past the end


def as_client_edits(text: str, start: tuple[int, int], end: tuple[int, int], new_text: str) -> str:
    """The edit as an LSP client applies it: a line past the last one means the end of the document,
    a character past the line's end (its line break excluded) means that end. ASCII only."""
    lines = re.split(r"(?<=\r\n)|(?<=\r)(?!\n)|(?<=\n)", text)  # keeps each line's break

    def offset(line: int, character: int) -> int:
        if line >= len(lines):
            return len(text)
        content = lines[line].rstrip("\r\n")
        return sum(map(len, lines[:line])) + min(character, len(content))

    return text[: offset(*start)] + new_text + text[offset(*end) :]


def findings_of(text: str) -> list[tuple[str, int]]:
    return sorted((f.code, f.span.start_line) for f in analyze(text, "model.py"))


def shown(diagnostics) -> list[tuple[str, int]]:
    return sorted((d.code, d.range.start.line) for d in diagnostics if d.code)  # the syntax note has no code


PAST_THE_END = {
    "character past the end of the last line": ("import torch\nwith torch.no_grad:\n    x = 1", (2, 99), (2, 99), "0"),
    "character just past a line's break": (NOT_CALLED, (1, 20), (1, 20), "  # note"),
    "character just past a CRLF line's break": (NOT_CALLED.replace("\n", "\r\n"), (1, 20), (1, 20), "  # note"),
    "line past the end": (NOT_CALLED, (40, 3), (40, 3), "with torch.no_grad:\n    pass\n"),
    "range from inside to past the end": (NOT_CALLED, (1, 5), (99, 99), "torch.no_grad():\n    pass\n"),
}


@pytest.mark.parametrize("text, start, end, new_text", PAST_THE_END.values(), ids=PAST_THE_END.keys())
async def test_edit_past_the_end_is_clamped_as_the_client_does(
    client: LanguageClient, tmp_path: Path, text: str, start, end, new_text: str
):
    history = record_publications(client)
    uri = write_on_disk(tmp_path, "model.py", text.encode())
    open_doc(client, uri, text)
    await wait_until(lambda: any(p.uri == uri for p in history), SLOW)

    change(client, uri, 2, start, end, new_text)
    expected = as_client_edits(text, start, end, new_text)
    await wait_until(lambda: any(p.uri == uri and p.version == 2 for p in history), SLOW)
    (latest,) = [p for p in history if p.uri == uri and p.version == 2]
    assert shown(latest.diagnostics) == findings_of(expected)
    assert not any(d.data == {"syntax": True} for d in latest.diagnostics)  # the client's text parses

    # An edit made in the client's coordinates lands where the client sees it: a finding at the end.
    last_line = len(expected.splitlines())
    change(client, uri, 3, (last_line, 0), (last_line, 0), "\nwith torch.no_grad:\n    pass\n")
    expected = as_client_edits(expected, (last_line, 0), (last_line, 0), "\nwith torch.no_grad:\n    pass\n")
    await wait_until(lambda: any(p.uri == uri and p.version == 3 for p in history), SLOW)
    (latest,) = [p for p in history if p.uri == uri and p.version == 3]
    assert shown(latest.diagnostics) == findings_of(expected)
    assert (tmp_path / "model.py").read_bytes() == text.encode()


# ---------------------------------------------------------------------- a client that disappears


def frame(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def read_messages(stream, into: queue.Queue[dict]) -> None:
    """JSON-RPC messages from the server's stdout, until it closes."""
    while True:
        headers = {}
        while (line := stream.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("ascii").partition(":")
            headers[name.strip().lower()] = value.strip()
        if not line:
            return
        into.put(json.loads(stream.read(int(headers["content-length"]))))


def next_message(messages: queue.Queue[dict], wanted) -> dict:
    deadline = time.monotonic() + SLOW
    while time.monotonic() < deadline:
        try:
            message = messages.get(timeout=1)
        except queue.Empty:
            continue
        if wanted(message):
            return message
    raise AssertionError("the server did not answer in time")


def process_identity(pid: int) -> tuple[int, str] | None:
    """(pid, start time) of a live process, None once it is gone or a zombie; the start time tells a
    reused pid apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] in ("Z", "X") else (pid, fields[19])


def descendants(pid: int) -> set[tuple[int, str]]:
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = list(Path(f"/proc/{parent}/task").iterdir())
        except OSError:  # the process ended meanwhile (the server winding down): no children left
            continue
        for task in tasks:
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if (identity := process_identity(child)) and identity not in found:
                    found.add(identity)
                    todo.append(child)
    return found


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads child processes from /proc")
@pytest.mark.parametrize("busy", [False, True], ids=["idle", "mid-analysis"])
def test_client_gone_without_shutdown_ends_server_and_workers(tmp_path: Path, busy: bool):
    text = "import torch\n" + "x = 1\n" * 50_000 + NOT_CALLED if busy else NOT_CALLED
    uri = write_on_disk(tmp_path, "model.py", text.encode())
    server = subprocess.Popen(
        [sys.executable, "-m", "gradguard"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "stderr.txt").open("wb"),
    )
    messages: queue.Queue[dict] = queue.Queue()
    threading.Thread(target=read_messages, args=(server.stdout, messages), daemon=True).start()
    try:
        server.stdin.write(
            frame(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "initialize",
                    "params": {"processId": None, "rootUri": None, "capabilities": {}},
                }
            )
        )
        server.stdin.flush()
        next_message(messages, lambda m: m.get("id") == 1)
        server.stdin.write(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        server.stdin.write(
            frame(
                {
                    "jsonrpc": "2.0",
                    "method": "textDocument/didOpen",
                    "params": {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}},
                }
            )
        )
        server.stdin.flush()
        if busy:  # the analysis worker has started on the long document, and has not answered yet
            deadline = time.monotonic() + SLOW
            while len(descendants(server.pid)) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
        else:
            next_message(messages, lambda m: m.get("method") == "textDocument/publishDiagnostics")
        workers = descendants(server.pid)
        assert len(workers) > 0  # otherwise there would be nothing to check

        server.stdin.close()  # the client is gone: no shutdown request, no exit notification

        deadline = time.monotonic() + SLOW
        while server.poll() is None and time.monotonic() < deadline:
            workers |= descendants(server.pid)  # children started while the server winds down count too
            time.sleep(0.05)
        assert server.poll() == 0, (tmp_path / "stderr.txt").read_text()
        while any(map(process_identity, (pid for pid, _ in workers))) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [pid for pid, start in workers if process_identity(pid) == (pid, start)] == []
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert (tmp_path / "model.py").read_bytes() == text.encode()


# ---------------------------------------------------------------------- odd content


async def test_binary_content_gets_a_note(client: LanguageClient, tmp_path: Path):
    data = b"import torch\x00\x01\x02\nwith torch.no_grad:\n    pass\n"
    uri = write_on_disk(tmp_path, "binary.py", data)
    open_doc(client, uri, data.decode("latin-1"))  # what an editor shows for the bytes
    await wait_until(lambda: published(client, uri), SLOW)
    (note,) = published(client, uri)
    assert note.data == {"syntax": True} and "null bytes" in note.message
    await assert_still_serving(client, tmp_path)
    assert (tmp_path / "binary.py").read_bytes() == data


@pytest.mark.parametrize(
    "odd",
    [
        "# caf\ufffd\n",  # a Latin-1 byte decoded as UTF-8 by the editor: the replacement character
        "s = 'caf\udce9'\n",  # a lone surrogate (an undecodable byte kept by a client, sent as a JSON escape)
    ],
    ids=["replacement character", "lone surrogate"],
)
async def test_undecodable_bytes_as_the_editor_sends_them(client: LanguageClient, tmp_path: Path, odd: str):
    text = "import torch\n" + odd + "with torch.no_grad:\n    pass\n"
    data = text.encode("utf-8", "surrogateescape")
    uri = write_on_disk(tmp_path, "latin1.py", data)
    open_doc(client, uri, text)
    await wait_until(lambda: published(client, uri), SLOW)
    diagnostics = published(client, uri)
    if "\ufffd" in odd:
        assert [(d.code, d.range.start.line, d.range.start.character) for d in diagnostics] == [("GG101", 2, 5)]
    else:  # Python cannot encode it: reported where analysis stopped
        (note,) = diagnostics
        assert note.data == {"syntax": True} and "surrogates not allowed" in note.message
    await assert_still_serving(client, tmp_path)
    assert no_tracebacks(client)
    assert (tmp_path / "latin1.py").read_bytes() == data


@pytest.mark.parametrize(
    "separator", ["\x0c", "\x1c", "\x85", "\u2028"], ids=["form feed", "file separator", "NEL", "U+2028"]
)
async def test_characters_that_split_lines_for_python_str_but_not_for_lsp(
    client: LanguageClient, tmp_path: Path, separator: str
):
    """LSP breaks lines at \\r\\n, \\r and \\n only; `str.splitlines` also at these. The finding below
    must be placed on the line the client counts, and an edit below must land where the client put it."""
    blank = "\x0c" if separator == "\x0c" else ""  # a form feed alone on a line is whitespace to Python
    text = f"import torch\n# page{separator}break\n{blank}\nwith torch.no_grad:\n    pass\n"
    uri = write_on_disk(tmp_path, "odd.py", text.encode())
    history = record_publications(client)
    open_doc(client, uri, text)
    await wait_until(lambda: published(client, uri), SLOW)
    (diagnostic,) = published(client, uri)
    assert diagnostic.range == types.Range(types.Position(3, 5), types.Position(3, 18))

    change(client, uri, 2, (3, 18), (3, 18), "()")  # the fix, typed by hand: no finding left
    await wait_until(lambda: any(p.uri == uri and p.version == 2 for p in history), SLOW)
    (latest,) = [p for p in history if p.uri == uri and p.version == 2]
    assert len(latest.diagnostics) == 0
    assert (tmp_path / "odd.py").read_bytes() == text.encode()


# ---------------------------------------------------------------------- notebook cells with magics

NOTEBOOK = "file:///tmp/gradguard-tests/magics.ipynb"
MAGIC_CELLS = [
    "import torch\n!pip install torch\n%time y = 1\n?torch.no_grad\n",  # shell escape, line magic, help
    "%%time\nwith torch.no_grad:\n    pass\n",  # a cell magic: the whole cell is not Python
    "with torch.no_grad:\n    %time pass\n    pass\n",  # a magic inside a block
]


def magic_cell(index: int) -> str:
    return f"vscode-notebook-cell:/tmp/gradguard-tests/magics.ipynb#cell{index}"


@pytest_lsp.fixture(config=SERVER)
async def notebook_client(lsp_client: LanguageClient):
    # No recorded client declares notebook support (lsp-demo README G6).
    capabilities = types.ClientCapabilities(
        notebook_document=types.NotebookDocumentClientCapabilities(
            synchronization=types.NotebookDocumentSyncClientCapabilities()
        )
    )
    await lsp_client.initialize_session(types.InitializeParams(capabilities=capabilities))
    yield
    await lsp_client.shutdown_session()


async def test_notebook_magics_are_skipped_and_the_rest_analysed(notebook_client: LanguageClient, tmp_path: Path):
    notebook_client.notebook_document_did_open(
        types.DidOpenNotebookDocumentParams(
            notebook_document=types.NotebookDocument(
                uri=NOTEBOOK,
                notebook_type="jupyter-notebook",
                version=1,
                cells=[
                    types.NotebookCell(kind=types.NotebookCellKind.Code, document=magic_cell(i))
                    for i in range(len(MAGIC_CELLS))
                ],
            ),
            cell_text_documents=[
                types.TextDocumentItem(uri=magic_cell(i), language_id="python", version=1, text=text)
                for i, text in enumerate(MAGIC_CELLS)
            ],
        )
    )
    await wait_until(lambda: published(notebook_client, magic_cell(2)), SLOW)
    assert len(published(notebook_client, magic_cell(0))) == 0
    assert len(published(notebook_client, magic_cell(1))) == 0  # `%%time` cell: not analysed
    (diagnostic,) = published(notebook_client, magic_cell(2))
    assert diagnostic.code == "GG101"
    assert diagnostic.range == types.Range(types.Position(0, 5), types.Position(0, 18))
    await assert_still_serving(notebook_client, tmp_path)
    assert no_tracebacks(notebook_client)
