"""Diagnostics: pushed and pulled, debounced bursts, code that stops parsing, close."""

from gradguard import Config, analyze
from lsp_helpers import (
    NOT_CALLED,
    change,
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


async def test_push_carries_code_link_source_and_data(client: LanguageClient, tmp_path):
    uri = file_uri(tmp_path)
    open_doc(client, uri, NOT_CALLED)
    await wait_until(lambda: published(client, uri))

    (diagnostic,) = published(client, uri)
    assert diagnostic.code == "GG101" and diagnostic.source == "gradguard"
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    assert diagnostic.range == types.Range(types.Position(1, 5), types.Position(1, 18))
    href = diagnostic.code_description.href
    assert href.startswith("file:///") and href.endswith("/GG101-no-grad-not-called.md")  # the installed page
    assert diagnostic.data["code"] == "GG101" and diagnostic.data["span"] == [1, 5, 1, 18]


async def test_the_message_is_its_first_sentence_and_the_hover_has_the_rest(client: LanguageClient, tmp_path):
    """A Problems panel row shows what and where; VS Code shows the message above the hover, which has it all."""
    uri = file_uri(tmp_path)
    open_doc(client, uri, NOT_CALLED)
    await wait_until(lambda: published(client, uri))
    (diagnostic,) = published(client, uri)
    (finding,) = analyze(NOT_CALLED, "model.py", Config())
    assert diagnostic.message == "`no_grad` is a class: write `with no_grad():`."
    assert finding.message.startswith(diagnostic.message + " Without the parentheses")
    assert finding.message in await hover_text(client, uri, 1, 6)


async def test_close_clears(client: LanguageClient, tmp_path):
    uri = file_uri(tmp_path)
    open_doc(client, uri, NOT_CALLED)
    await wait_until(lambda: published(client, uri))
    client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=uri)))
    await wait_until(lambda: uri in client.diagnostics and not published(client, uri))


async def test_fixing_the_code_clears_the_finding(client: LanguageClient, tmp_path):
    uri = file_uri(tmp_path)
    open_doc(client, uri, NOT_CALLED)
    await wait_until(lambda: published(client, uri))
    history = record_publications(client)
    change(client, uri, 2, (1, 18), (1, 18), "()")
    await wait_until(lambda: history and history[-1].version == 2)
    assert len(history[-1].diagnostics) == 0


async def test_burst_of_50_edits_publishes_only_the_last_version(client: LanguageClient, tmp_path):
    uri = file_uri(tmp_path)
    open_doc(client, uri, NOT_CALLED)
    await wait_until(lambda: published(client, uri))
    history = record_publications(client)

    for version in range(2, 52):  # each edit adds a line on top: the finding moves down one line
        change(client, uri, version, (0, 0), (0, 0), f"x{version} = {version}\n")

    await wait_until(lambda: history and history[-1].version == 51)
    # An older text's findings moved to version 51 may come first (tests/lsp/test_scheduling.py): no other version.
    assert {p.version for p in history} == {51}
    for publication in history:
        (diagnostic,) = publication.diagnostics
        assert diagnostic.range.start.line == 51


async def test_syntax_error_keeps_the_last_findings_and_adds_one_note(client: LanguageClient, tmp_path):
    uri = file_uri(tmp_path)
    text = "import torch\n\nx = 1\nwith torch.no_grad:\n    pass\n"
    open_doc(client, uri, text)
    await wait_until(lambda: published(client, uri))
    history = record_publications(client)

    # mid-typing: an unclosed call on line 2, and a new line above the finding (it moves to line 4)
    change(client, uri, 2, (1, 0), (1, 0), "y = foo(\n")
    await wait_until(lambda: history and history[-1].version == 2)
    diagnostics = history[-1].diagnostics
    assert sorted(codes(diagnostics), key=str) == ["GG101", None]
    finding = next(d for d in diagnostics if d.code == "GG101")
    assert finding.range.start.line == 4  # moved with the edit
    note = next(d for d in diagnostics if d.code is None)
    assert note.severity in (types.DiagnosticSeverity.Information, types.DiagnosticSeverity.Hint)
    assert "syntax" in note.message.lower()

    change(client, uri, 3, (1, 8), (1, 8), ")")  # finishes typing: parses again
    await wait_until(lambda: history[-1].version == 3)
    assert codes(history[-1].diagnostics) == ["GG101"]


async def test_the_last_findings_follow_an_edit_within_their_line(client: LanguageClient, tmp_path):
    """Typed before a finding on its line (here so that the code does not parse: the last findings are kept),
    the finding moves right; a line break typed before it carries it to the next line."""
    uri = file_uri(tmp_path)
    open_doc(client, uri, "import torch\nwith torch.no_grad: pass\n")
    await wait_until(lambda: published(client, uri))
    (finding,) = published(client, uri)
    assert (finding.range.start, finding.range.end) == (types.Position(1, 5), types.Position(1, 18))
    history = record_publications(client)

    def gg101() -> types.Range:
        return next(d for d in history[-1].diagnostics if d.code == "GG101").range

    change(client, uri, 2, (1, 0), (1, 0), "x = foo(")  # `x = foo(with torch.no_grad: pass`
    await wait_until(lambda: history and history[-1].version == 2)
    assert gg101() == types.Range(types.Position(1, 13), types.Position(1, 26))

    change(client, uri, 3, (1, 8), (1, 8), "\n")  # `x = foo(` and `with torch.no_grad: pass`
    await wait_until(lambda: history[-1].version == 3)
    assert gg101() == types.Range(types.Position(2, 5), types.Position(2, 18))


async def test_save_analyses(client: LanguageClient, tmp_path):
    uri = file_uri(tmp_path)
    open_doc(client, uri, NOT_CALLED)
    await wait_until(lambda: published(client, uri))
    history = record_publications(client)
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri=uri)))
    await wait_until(lambda: history)
    assert codes(history[-1].diagnostics) == ["GG101"]


async def test_pull_diagnostics(pull_client: LanguageClient, tmp_path):
    uri = file_uri(tmp_path)
    open_doc(pull_client, uri, NOT_CALLED)
    report = await pull_client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert codes(report.items) == ["GG101"]
    again = await pull_client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(
            text_document=types.TextDocumentIdentifier(uri=uri), previous_result_id=report.result_id
        )
    )
    assert again.kind == "unchanged"
    assert uri not in pull_client.diagnostics  # nothing pushed to a client that pulls
