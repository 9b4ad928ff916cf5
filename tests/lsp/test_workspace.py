"""Workspace-wide summaries: a function of another module of the workspace folder counts where it is
called, and a change in that module re-checks the open files that call into it."""

import textwrap

import pytest
import pytest_lsp
from lsp_helpers import SERVER, accept_registration, change, codes, open_doc, published, wait_until
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

EVALUATION = textwrap.dedent("""\
    import torch


    def evaluate(model, loader):
        model.eval()
        with torch.no_grad():
            for x in loader:
                model(x)
""")
TRAIN = textwrap.dedent("""\
    import torch
    from pkg.evaluation import evaluate


    def fit(model, loader, val_loader, opt, epochs):
        model.train()
        for epoch in range(epochs):
            for x in loader:
                model(x).sum().backward()
                opt.step()
            evaluate(model, val_loader)
""")
INFERENCE = textwrap.dedent("""\
    import torch  # `model.eval()` makes `model` a model only in code that imports torch (SPEC "Model")

    def predict(model, x):
        model.eval()
        return model(x)
""")
REPORT = textwrap.dedent("""\
    import torch
    from pkg.inference import predict


    def report(model, x):
        with torch.no_grad():
            return predict(model, x)
""")
EVALUATE_LINE = 10  # 0-based line of `evaluate(model, val_loader)` in TRAIN
RESTORE_AT = (8, 0)  # the end of EVALUATION: a last statement of evaluate() goes here


@pytest.fixture
def folder(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "evaluation.py").write_text(EVALUATION)
    (package / "train.py").write_text(TRAIN)
    (package / "inference.py").write_text(INFERENCE)
    (package / "report.py").write_text(REPORT)
    return tmp_path


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient, folder):
    """VS Code 1.65.2 with `folder` as its workspace folder."""
    lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)(accept_registration)
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=folder.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=folder.as_uri(), name="project")],
        )
    )
    yield
    await lsp_client.shutdown_session()


def gg203_lines(client: LanguageClient, uri: str) -> list[int]:
    return [d.range.start.line for d in published(client, uri) if d.code == "GG203"]


async def test_a_helper_in_another_file_leaves_eval_mode(client: LanguageClient, folder):
    train = (folder / "pkg" / "train.py").as_uri()
    open_doc(client, train, TRAIN)
    await wait_until(lambda: gg203_lines(client, train) == [EVALUATE_LINE], timeout=60)

    # evaluate() now switches back to training mode as its last statement: train.py is checked again
    # without being edited, and the finding goes
    evaluation = (folder / "pkg" / "evaluation.py").as_uri()
    open_doc(client, evaluation, EVALUATION)
    await wait_until(lambda: evaluation in client.diagnostics, timeout=60)
    change(client, evaluation, 2, RESTORE_AT, RESTORE_AT, "    model.train()\n")
    await wait_until(lambda: train in client.diagnostics and not gg203_lines(client, train), timeout=60)
    assert codes(published(client, evaluation)) == []

    # undoing the edit brings it back
    change(client, evaluation, 3, RESTORE_AT, (RESTORE_AT[0] + 1, 0), "")
    await wait_until(lambda: gg203_lines(client, train) == [EVALUATE_LINE], timeout=60)


async def test_a_file_changed_on_disk_updates_the_index(client: LanguageClient, folder):
    train = (folder / "pkg" / "train.py").as_uri()
    open_doc(client, train, TRAIN)
    await wait_until(lambda: gg203_lines(client, train) == [EVALUATE_LINE], timeout=60)

    path = folder / "pkg" / "evaluation.py"
    path.write_text(EVALUATION + "    model.train()\n")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=path.as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    await wait_until(lambda: not gg203_lines(client, train), timeout=60)


async def test_a_helper_called_only_inside_no_grad_elsewhere(client: LanguageClient, folder):
    inference = (folder / "pkg" / "inference.py").as_uri()
    open_doc(client, inference, INFERENCE)
    await wait_until(
        lambda: client.log_messages and any("workspace index" in m.message for m in client.log_messages), timeout=60
    )
    await wait_until(
        lambda: inference in client.diagnostics and "GG201" not in codes(published(client, inference)), timeout=60
    )

    # report.py now calls predict() with gradients enabled: inference.py is checked again and reports it
    report = (folder / "pkg" / "report.py").as_uri()
    open_doc(client, report, REPORT)
    change(client, report, 2, (5, 0), (6, 0), "    if True:\n")
    await wait_until(lambda: "GG201" in codes(published(client, inference)), timeout=60)


async def test_a_file_outside_the_workspace_is_checked_alone(client: LanguageClient, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "train.py"
    open_doc(client, elsewhere.as_uri(), TRAIN)
    await wait_until(lambda: elsewhere.as_uri() in client.diagnostics, timeout=60)
    assert codes(published(client, elsewhere.as_uri())) == []


def test_an_unchanged_summary_leaves_the_index_as_it_was(tmp_path):
    """Each analysis of an open module sets its entry again. The index's (object, count of changes) is
    what the analysis memo of every open document holds as context: counted as a change, an unchanged
    entry made each next analysis a whole one (typing in a 5,000-line script in a workspace folder:
    about 300 ms an analysis instead of 15-50 ms)."""
    from gradguard.config import Config
    from gradguard.lsp.summaries import WorkspaceIndex, summarise_file

    (tmp_path / "evaluation.py").write_text(EVALUATION)
    summary = summarise_file(str(tmp_path / "evaluation.py"), "pkg.evaluation", Config())
    assert summary is not None and summary.exports
    index = WorkspaceIndex()
    index.update("pkg.evaluation", summary)
    before = (index.project, index.project.changes)
    index.update("pkg.evaluation", summarise_file(str(tmp_path / "evaluation.py"), "pkg.evaluation", Config()))
    assert (index.project, index.project.changes) == before
    (tmp_path / "evaluation.py").write_text(EVALUATION.replace("model.eval()", "model.train()"))
    index.update("pkg.evaluation", summarise_file(str(tmp_path / "evaluation.py"), "pkg.evaluation", Config()))
    assert (index.project, index.project.changes) != before  # a changed entry still counts
