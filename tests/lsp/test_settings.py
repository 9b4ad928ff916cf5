"""Settings: initializationOptions, [tool.gradguard], and changes at run time (workspace/configuration)."""

import pytest_lsp
from lsp_helpers import (
    NOT_CALLED,
    SERVER,
    accept_registration,
    codes,
    file_uri,
    open_doc,
    published,
    record_publications,
    wait_until,
)
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities


@pytest_lsp.fixture(config=SERVER)
async def ignoring_client(lsp_client: LanguageClient):
    lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)(accept_registration)
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            initialization_options={"enable": True, "run": "onType", "ignore": ["GG101"]},
        )
    )
    yield
    await lsp_client.shutdown_session()


async def test_initialization_options_apply_to_the_first_file(ignoring_client: LanguageClient, tmp_path):
    uri = file_uri(tmp_path)
    open_doc(ignoring_client, uri, NOT_CALLED + "with torch.inference_mode:\n    pass\n")
    await wait_until(lambda: uri in ignoring_client.diagnostics)
    assert len(published(ignoring_client, uri)) == 0  # both are GG101


async def test_settings_changed_at_run_time(client: LanguageClient, tmp_path):
    uri = file_uri(tmp_path)
    open_doc(client, uri, NOT_CALLED)
    await wait_until(lambda: published(client, uri))
    history = record_publications(client)

    # the client now answers workspace/configuration with `ignore` set, and says settings changed
    client.set_configuration({"gradguard": {"ignore": ["no-grad-not-called"]}})
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await wait_until(lambda: history and len(history[-1].diagnostics) == 0)
    assert any("ignore" in m.message for m in client.log_messages)  # effective settings are logged

    client.set_configuration({"gradguard": {}})
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await wait_until(lambda: codes(history[-1].diagnostics) == ["GG101"])


async def test_editor_settings_win_over_pyproject(client: LanguageClient, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.gradguard]\nseverity = { GG101 = "hint" }\n')
    uri = file_uri(tmp_path)
    open_doc(client, uri, NOT_CALLED)
    await wait_until(lambda: published(client, uri))
    assert published(client, uri)[0].severity == types.DiagnosticSeverity.Hint

    history = record_publications(client)
    client.set_configuration({"gradguard": {"severity": {"GG101": "warning"}}})
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await wait_until(lambda: history and history[-1].diagnostics)
    assert history[-1].diagnostics[0].severity == types.DiagnosticSeverity.Warning


async def test_pyproject_change_applies_without_restart(client: LanguageClient, tmp_path):
    uri = file_uri(tmp_path)
    open_doc(client, uri, NOT_CALLED)
    await wait_until(lambda: published(client, uri))
    history = record_publications(client)

    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.gradguard]\nignore = ["GG101"]\n')
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=pyproject.as_uri(), type=types.FileChangeType.Created)]
        )
    )
    await wait_until(lambda: history and len(history[-1].diagnostics) == 0)
