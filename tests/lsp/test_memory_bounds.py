"""What the server keeps per message is bounded by the number of requests in flight, not by the number
of messages it has handled (it grew by about 2 KB per edit: pygls kept every notification's future)."""

from __future__ import annotations

import json

from gradguard.lsp.state import GradGuardServer

EDITS = 500


class Discard:
    def write(self, data: bytes) -> None:
        pass

    def close(self) -> None:
        pass


async def test_edits_leave_nothing_behind_in_the_protocol(tmp_path) -> None:
    server = GradGuardServer()
    protocol = server.protocol
    protocol.set_writer(Discard())

    def receive(message: dict) -> None:
        protocol.handle_message(
            json.loads(json.dumps({"jsonrpc": "2.0", **message}), object_hook=protocol.structure_message)
        )

    try:
        receive({"id": 1, "method": "initialize", "params": {"processId": None, "rootUri": None, "capabilities": {}}})
        uri = (tmp_path / "notes.txt").as_uri()  # not Python: the edits go through pygls only, no analysis
        receive(
            {
                "method": "textDocument/didOpen",
                "params": {"textDocument": {"uri": uri, "languageId": "plaintext", "version": 1, "text": "x\n"}},
            }
        )
        for version in range(2, EDITS + 2):
            receive(
                {
                    "method": "textDocument/didChange",
                    "params": {
                        "textDocument": {"uri": uri, "version": version},
                        "contentChanges": [
                            {
                                "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}},
                                "text": "y" if version % 2 else "x",
                            }
                        ],
                    },
                }
            )
        assert server.workspace.get_text_document(uri).version == EDITS + 1
        assert len(protocol._request_futures) == 0
    finally:
        server.stop_workers()
