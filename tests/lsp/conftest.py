"""Fixtures: a real `python -m gradguard` subprocess per test, driven by pytest-lsp."""

import sys
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

sys.path.insert(0, str(Path(__file__).parent))

from lsp_helpers import SERVER, accept_registration


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient):
    """VS Code 1.65.2 as recorded by pytest-lsp: push diagnostics, utf-16, workspace/configuration,
    file watchers registered by the server."""
    lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)(accept_registration)
    await lsp_client.initialize_session(types.InitializeParams(capabilities=client_capabilities("visual-studio-code")))
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=SERVER)
async def pull_client(lsp_client: LanguageClient):
    """Neovim 0.10: pulls diagnostics with textDocument/diagnostic."""
    result = await lsp_client.initialize_session(
        types.InitializeParams(capabilities=client_capabilities("neovim@v0.10.0"))
    )
    assert result.capabilities.diagnostic_provider is not None
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=SERVER)
async def traced_pull_client(lsp_client: LanguageClient):
    """Neovim 0.10 pulling diagnostics, with a verbose trace: the server reports each analysis in
    `$/logTrace`, collected in `lsp_client.traces`."""
    lsp_client.traces = []
    lsp_client.feature(types.LOG_TRACE)(lambda params: lsp_client.traces.append(params.message))
    await lsp_client.initialize_session(
        types.InitializeParams(capabilities=client_capabilities("neovim@v0.10.0"), trace=types.TraceValue.Verbose)
    )
    yield
    await lsp_client.shutdown_session()
