"""A language-server process driven over stdio with hand-framed JSON-RPC: the tests see exactly what
the server writes (pytest-lsp's client validates and structures messages, and waits forever for a
response that never comes)."""

from __future__ import annotations

import itertools
import json
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Callable

TIMEOUT = 60.0


class RawServer:
    def __init__(self, argv: Sequence[str], cwd: Path) -> None:
        self.process = subprocess.Popen(
            list(argv), cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self.received: list[dict[str, Any]] = []
        self.stderr: list[bytes] = []
        self.changed = threading.Condition()
        self.closed = False  # the server closed its stdout
        self.ids = itertools.count(1)
        threading.Thread(target=self._read_messages, daemon=True).start()
        threading.Thread(target=lambda: self.stderr.extend(self.process.stderr), daemon=True).start()

    def __enter__(self) -> RawServer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(TIMEOUT)

    # ------------------------------------------------------------------ writing

    def send_bytes(self, body: bytes) -> None:
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        self.send_bytes(json.dumps(message).encode("utf-8"))

    def request(self, method: str, params: Any = None) -> int:
        request_id = next(self.ids)
        self.send(
            {"jsonrpc": "2.0", "id": request_id, "method": method, **({} if params is None else {"params": params})}
        )
        return request_id

    def notify(self, method: str, params: Any = None) -> None:
        self.send({"jsonrpc": "2.0", "method": method, **({} if params is None else {"params": params})})

    def initialize(self, root: Path | None = None, capabilities: dict | None = None) -> dict[str, Any]:
        params = {"processId": None, "rootUri": root.as_uri() if root else None, "capabilities": capabilities or {}}
        if root:
            params["workspaceFolders"] = [{"uri": root.as_uri(), "name": root.name}]
        result = self.response(self.request("initialize", params))
        self.notify("initialized", {})
        return result

    def open(self, path: Path, text: str) -> str:
        uri = path.as_uri()
        self.notify(
            "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}
        )
        return uri

    # ------------------------------------------------------------------ reading

    def _read_messages(self) -> None:
        stream = self.process.stdout
        while True:
            length = None
            while (line := stream.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            if not line or length is None:
                break
            message = json.loads(stream.read(length))
            if "method" in message and "id" in message:  # a request from the server: accept it
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            with self.changed:
                self.received.append(message)
                self.changed.notify_all()
        with self.changed:
            self.closed = True
            self.changed.notify_all()

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = TIMEOUT) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                found = next((message for message in self.received if predicate(message)), None)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    raise TimeoutError(
                        f"no such message; received {self.received}; stderr {b''.join(self.stderr)[-2000:]!r}"
                    )
                self.changed.wait(min(left, 0.5))

    def reply(self, request_id: Any, timeout: float = TIMEOUT) -> dict[str, Any]:
        """The response to a request (result or error)."""
        return self.wait_for(lambda m: m.get("id") == request_id and "method" not in m, timeout)

    def response(self, request_id: int, timeout: float = TIMEOUT) -> Any:
        message = self.reply(request_id, timeout)
        assert "error" not in message, message
        return message["result"]

    def diagnostics(self, uri: str, timeout: float = TIMEOUT) -> list[dict[str, Any]]:
        """The first non-empty diagnostics published for `uri`."""
        return self.wait_for(
            lambda m: (
                m.get("method") == "textDocument/publishDiagnostics"
                and m["params"]["uri"] == uri
                and m["params"]["diagnostics"]
            ),
            timeout,
        )["params"]["diagnostics"]

    def exit_code(self, timeout: float = TIMEOUT) -> int:
        return self.process.wait(timeout)
