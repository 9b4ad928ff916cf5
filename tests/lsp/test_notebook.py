"""Notebooks (LSP 3.17 sync): code cells analysed in order as one program; results land in the right cell."""

import pytest_lsp
from lsp_helpers import SERVER, apply_edits, code_actions, hover_text, hover_until, published, wait_until
from lsprotocol import types
from pytest_lsp import LanguageClient

NOTEBOOK = "file:///tmp/gradguard-tests/analysis.ipynb"
CELLS = [
    ("import torch\n%matplotlib inline\n", types.NotebookCellKind.Code),
    ("# Notes\nnot python at all (", types.NotebookCellKind.Markup),
    ("x = 1\nwith torch.no_grad:\n    pass\n", types.NotebookCellKind.Code),
]


def cell_uri(index: int) -> str:
    return f"vscode-notebook-cell:/tmp/gradguard-tests/analysis.ipynb#cell{index}"


@pytest_lsp.fixture(config=SERVER)
async def notebook_client(lsp_client: LanguageClient):
    # No recorded client declares notebook support (README G6): build the capabilities by hand.
    capabilities = types.ClientCapabilities(
        notebook_document=types.NotebookDocumentClientCapabilities(
            synchronization=types.NotebookDocumentSyncClientCapabilities()
        ),
        workspace=types.WorkspaceClientCapabilities(
            workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True)
        ),
    )
    result = await lsp_client.initialize_session(types.InitializeParams(capabilities=capabilities))
    assert result.capabilities.notebook_document_sync is not None
    yield
    await lsp_client.shutdown_session()


def open_notebook(client: LanguageClient, cells: list[tuple[str, types.NotebookCellKind]] = CELLS) -> None:
    client.notebook_document_did_open(
        types.DidOpenNotebookDocumentParams(
            notebook_document=types.NotebookDocument(
                uri=NOTEBOOK,
                notebook_type="jupyter-notebook",
                version=1,
                cells=[types.NotebookCell(kind=kind, document=cell_uri(i)) for i, (_, kind) in enumerate(cells)],
            ),
            cell_text_documents=[
                types.TextDocumentItem(
                    uri=cell_uri(i),
                    version=1,
                    text=text,
                    language_id="python" if kind == types.NotebookCellKind.Code else "markdown",
                )
                for i, (text, kind) in enumerate(cells)
            ],
        )
    )


async def test_finding_lands_in_its_cell_and_fixes_edit_that_cell(notebook_client: LanguageClient):
    open_notebook(notebook_client)
    await wait_until(lambda: published(notebook_client, cell_uri(2)))
    assert len(published(notebook_client, cell_uri(0))) == 0  # the magic line is not an error
    assert cell_uri(1) not in notebook_client.diagnostics  # markdown cells are not analysed
    (diagnostic,) = published(notebook_client, cell_uri(2))
    assert diagnostic.code == "GG101"
    assert diagnostic.range == types.Range(types.Position(1, 5), types.Position(1, 18))  # cell coordinates

    hover = await hover_text(notebook_client, cell_uri(2), 1, 8)
    assert "GG101" in hover

    actions = await code_actions(notebook_client, cell_uri(2), [diagnostic], only=[types.CodeActionKind.QuickFix])
    preferred = next(a for a in actions if a.is_preferred)
    (document_change,) = preferred.edit.document_changes
    assert document_change.text_document.uri == cell_uri(2)
    assert apply_edits(CELLS[2][0], document_change.edits) == "x = 1\nwith torch.no_grad():\n    pass\n"


async def test_cell_edit_republishes_the_cell(notebook_client: LanguageClient):
    open_notebook(notebook_client)
    await wait_until(lambda: published(notebook_client, cell_uri(2)))
    notebook_client.notebook_document_did_change(
        types.DidChangeNotebookDocumentParams(
            notebook_document=types.VersionedNotebookDocumentIdentifier(uri=NOTEBOOK, version=2),
            change=types.NotebookDocumentChangeEvent(
                cells=types.NotebookDocumentCellChanges(
                    text_content=[
                        types.NotebookDocumentCellContentChanges(
                            document=types.VersionedTextDocumentIdentifier(uri=cell_uri(2), version=2),
                            changes=[
                                types.TextDocumentContentChangePartial(
                                    range=types.Range(types.Position(1, 18), types.Position(1, 18)), text="()"
                                )
                            ],
                        )
                    ]
                )
            ),
        )
    )
    await wait_until(lambda: len(published(notebook_client, cell_uri(2))) == 0)
    text = await hover_until(notebook_client, cell_uri(2), 2, 5, "disabled here")
    assert "disabled here by `with torch.no_grad()` (line 2)" in text


async def test_notebook_fix_all_on_save_covers_the_cells(notebook_client: LanguageClient):
    """`notebook.codeActionsOnSave` asks for `notebook.source.fixAll.gradguard` on the first cell."""
    open_notebook(notebook_client)
    await wait_until(lambda: published(notebook_client, cell_uri(2)))
    actions = await code_actions(notebook_client, cell_uri(0), [], only=["notebook.source.fixAll.gradguard"])
    (action,) = actions
    assert action.kind == "notebook.source.fixAll.gradguard"
    (document_change,) = action.edit.document_changes
    assert document_change.text_document.uri == cell_uri(2)
    assert apply_edits(CELLS[2][0], document_change.edits) == "x = 1\nwith torch.no_grad():\n    pass\n"


# A course notebook: a placeholder cell left for the student, magics as the only body of an `if`/`elif`,
# `!=` and `%` opening continuation lines inside brackets.
COURSE_CELLS = [
    ("# Exercise 3\nTrain, then evaluate.", types.NotebookCellKind.Markup),
    (
        "import torch\nmodel = torch.nn.Sequential(torch.nn.Linear(4, 2), torch.nn.Dropout(0.1))\nmodel.train()\n",
        types.NotebookCellKind.Code,
    ),
    ("criterion = # TODO\n", types.NotebookCellKind.Code),
    (
        "if IN_COLAB:\n    %pip install torchvision\nelif LOCAL:\n    %load_ext tensorboard\n",
        types.NotebookCellKind.Code,
    ),
    (
        "val_loader = [torch.ones(4) for b in range(10)\n              if b\n              % 2]\n"
        "keep = (len(val_loader)\n        != 0)\n",
        types.NotebookCellKind.Code,
    ),
    (
        "with torch.no_grad():\n    for x in val_loader:\n        out = model(x)\nwith torch.no_grad:\n    pass\n",
        types.NotebookCellKind.Code,
    ),
]


async def test_a_cell_that_does_not_parse_is_left_out_and_the_others_analysed(notebook_client: LanguageClient):
    open_notebook(notebook_client, COURSE_CELLS)
    await wait_until(lambda: published(notebook_client, cell_uri(5)))
    (note,) = published(notebook_client, cell_uri(2))  # once, at the error in its own cell
    assert note.severity == types.DiagnosticSeverity.Information
    assert note.message.startswith("GradGuard left this cell out (syntax error: invalid syntax)")
    assert note.range.start == types.Position(0, 12)
    assert published(notebook_client, cell_uri(3)) == []  # magics as a block's only statements parse
    assert published(notebook_client, cell_uri(4)) == []  # `% 2` and `!= 0` inside brackets are Python
    by_code = {d.code: d for d in published(notebook_client, cell_uri(5))}
    assert sorted(by_code) == ["GG101", "GG202"]
    # Numbered as Jupyter shows the cells (the markdown cell is cell 1), as the CLI numbers them; the message's
    # sentence that says so is in the hover (a diagnostic has the first).
    start = by_code["GG202"].range.start
    assert "(line 3 of cell 2)" in await hover_text(notebook_client, cell_uri(5), start.line, start.character)

    actions = await code_actions(notebook_client, cell_uri(5), [by_code["GG101"]], only=[types.CodeActionKind.QuickFix])
    preferred = next(a for a in actions if a.is_preferred)
    (document_change,) = preferred.edit.document_changes
    assert document_change.text_document.uri == cell_uri(5)
    assert apply_edits(COURSE_CELLS[5][0], document_change.edits).endswith("with torch.no_grad():\n    pass\n")


async def test_hover_names_cells_as_jupyter_numbers_them(notebook_client: LanguageClient):
    cells = [
        ("# Setup", types.NotebookCellKind.Markup),
        ("import torch\nwith torch.no_grad():\n", types.NotebookCellKind.Code),
        ("    y = 1\n", types.NotebookCellKind.Code),
    ]
    open_notebook(notebook_client, cells)
    text = await hover_until(notebook_client, cell_uri(2), 0, 5, "disabled here")
    assert "(cell 2, line 2)" in text
