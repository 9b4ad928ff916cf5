"""Every request gets an answer, as the LSP specification says, whatever pygls does by default: a
client waiting on a request that gets none hangs. Seen through a raw stdio client, byte for byte."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from raw_client import RawServer

ANSWER_WITHIN = 20.0  # seconds; no answer at all is the failure these tests catch
SAMPLE = "import torch\nwith torch.no_grad:\n    pass\n"
PARSE_ERROR, INVALID_REQUEST, INVALID_PARAMS, SERVER_NOT_INITIALIZED = -32700, -32600, -32602, -32002


@pytest.fixture
def server(tmp_path: Path):
    with RawServer([sys.executable, "-m", "gradguard"], tmp_path) as running:
        yield running


def error_code(server: RawServer, request_id, timeout: float = ANSWER_WITHIN) -> int:
    reply = server.reply(request_id, timeout)
    assert "result" not in reply, reply
    return reply["error"]["code"]


def hover_params(uri: str, line: int, character: int) -> dict:
    return {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}


def test_requests_with_invalid_params_get_an_error(server: RawServer, tmp_path: Path) -> None:
    server.initialize(tmp_path)
    uri = server.open(tmp_path / "model.py", SAMPLE)
    server.diagnostics(uri)
    assert error_code(server, server.request("textDocument/hover", hover_params(uri, -1, 0))) == INVALID_PARAMS
    assert error_code(server, server.request("textDocument/hover", hover_params(uri, 1, -5))) == INVALID_PARAMS
    assert error_code(server, server.request("textDocument/hover", {"textDocument": {"uri": uri}})) == INVALID_PARAMS
    assert (
        error_code(
            server,
            server.request(
                "textDocument/codeAction",
                {
                    "textDocument": {"uri": uri},
                    "range": {"start": {"line": -2, "character": 0}, "end": {"line": 0, "character": 0}},
                    "context": {"diagnostics": []},
                },
            ),
        )
        == INVALID_PARAMS
    )
    assert error_code(server, server.request("textDocument/codeAction", 7)) == INVALID_PARAMS
    # still serving
    assert (
        "no_grad"
        in server.response(server.request("textDocument/hover", hover_params(uri, 1, 14)))["contents"]["value"]
    )


def test_a_body_that_is_not_json_gets_a_parse_error(server: RawServer, tmp_path: Path) -> None:
    server.initialize(tmp_path)
    server.send_bytes(b'{"jsonrpc": "2.0", "id": 7, "method": ')
    assert (
        server.wait_for(lambda m: "error" in m and m.get("id", "absent") is None, ANSWER_WITHIN)["error"]["code"]
        == PARSE_ERROR
    )
    server.send_bytes(b"\xff\xfe not utf-8")

    def errors() -> list[dict]:
        return [m for m in server.received if "error" in m and m.get("id", "absent") is None]

    server.wait_for(lambda m: len(errors()) == 2, ANSWER_WITHIN)
    assert [m["error"]["code"] for m in errors()] == [PARSE_ERROR, PARSE_ERROR]
    server.send_bytes(b"[1, 2]")  # JSON, but not a JSON-RPC message
    server.wait_for(lambda m: len(errors()) == 3, ANSWER_WITHIN)
    assert errors()[-1]["error"]["code"] == INVALID_REQUEST
    server.send({"id": 41, "method": "textDocument/hover"})  # no "jsonrpc"
    assert error_code(server, 41) == INVALID_REQUEST
    assert server.response(server.request("shutdown")) is None  # still serving


def test_requests_before_initialize_get_server_not_initialized(server: RawServer, tmp_path: Path) -> None:
    uri = (tmp_path / "model.py").as_uri()
    server.notify(
        "textDocument/didOpen",  # dropped, not answered
        {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": SAMPLE}},
    )
    assert error_code(server, server.request("textDocument/hover", hover_params(uri, 1, 14))) == SERVER_NOT_INITIALIZED
    assert error_code(server, server.request("shutdown")) == SERVER_NOT_INITIALIZED
    server.initialize(tmp_path)
    uri = server.open(tmp_path / "model.py", SAMPLE)
    assert [d["code"] for d in server.diagnostics(uri)] == ["GG101"]
    assert not any(m.get("method") == "window/showMessage" for m in server.received)


def test_requests_after_shutdown_get_invalid_request_and_exit_ends_with_0(server: RawServer, tmp_path: Path) -> None:
    server.initialize(tmp_path)
    uri = server.open(tmp_path / "model.py", SAMPLE)
    server.diagnostics(uri)
    assert server.response(server.request("shutdown")) is None
    assert error_code(server, server.request("textDocument/hover", hover_params(uri, 1, 14))) == INVALID_REQUEST
    assert error_code(server, server.request("shutdown")) == INVALID_REQUEST
    server.notify("exit")
    assert server.exit_code() == 0


def test_exit_without_shutdown_ends_with_1(server: RawServer, tmp_path: Path) -> None:
    server.initialize(tmp_path)
    server.notify("exit")
    assert server.exit_code() == 1


def test_exit_before_initialize_ends_with_1(server: RawServer) -> None:
    server.notify("exit")
    assert server.exit_code() == 1
