"""pygls 2.1's JSON-RPC layer, corrected where it departs from the LSP specification.

- It answers nothing to a request whose params do not fit its type (a negative position, a missing
  field), to a body that is not JSON, to a request after `shutdown`, and `null` to one before
  `initialize`: each now gets an error response, so a client never waits for an answer not coming.
- `exit` without `shutdown` ends the process with status 1.
- It keeps the future of every notification for good (about 2 KB per edit): only requests' are kept.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Any

from lsprotocol import types
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInvalidRequest,
    JsonRpcParseError,
    JsonRpcServerNotInitialized,
)
from pygls.protocol import LanguageServerProtocol

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class UnreadableRequest:
    """A request whose params could not be read: it is answered with the error, never handled."""

    id: Any
    method: str
    error: JsonRpcException


class GradGuardProtocol(LanguageServerProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initialize_received = False
        self.exit_status = 0  # of the process; stays 0 when the client closes the pipe without `exit`
        self.filed_for_notifications: set[Any] = set()  # ids in `_request_futures` that no response needs

    def structure_message(self, data: dict[str, Any]) -> Any:
        # Called by `json.loads` for every object of a message; only the message itself has "jsonrpc".
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            if "jsonrpc" in data and "id" in data and "method" in data:
                return UnreadableRequest(data["id"], data["method"], error)
            raise  # a notification: nothing to answer (the reader logs it)

    def handle_message(self, message: Any) -> None:
        if isinstance(message, UnreadableRequest):
            logger.warning("%s request %r: %s", message.method, message.id, message.error.message)
            self.answer_error(message.id, message.error)
            return
        if getattr(message, "jsonrpc", None) != self.VERSION:  # JSON, but not a JSON-RPC 2.0 message
            request_id = message.get("id") if isinstance(message, dict) else getattr(message, "id", None)
            self.answer_error(request_id, JsonRpcInvalidRequest())
            return
        method: str | None = getattr(message, "method", None)
        is_request = method is not None and hasattr(message, "id")
        if method == types.EXIT:  # pygls computes the status too, but its SystemExit ends in `start_io`
            self.exit_status = 0 if self._shutdown else 1
        elif method is None:
            pass  # a response to one of our requests
        elif not self.initialize_received and method != types.INITIALIZE:
            if is_request:  # notifications are dropped
                self.answer_error(message.id, JsonRpcServerNotInitialized())
            return
        elif self._shutdown:
            if is_request:  # notifications are dropped
                self.answer_error(message.id, JsonRpcInvalidRequest("the server is shutting down"))
            return
        self.initialize_received = self.initialize_received or method == types.INITIALIZE
        super().handle_message(message)

    def _execute_handler(self, msg_id: Any, handler: Any, callback: Any, args: Any = None, kwargs: Any = None) -> None:
        super()._execute_handler(msg_id, handler, callback, args, kwargs)
        # pygls files the future of a notification, and of each step of its generator handlers, under a
        # fresh id and never takes it out. Only a request's future must stay (until it is answered or
        # cancelled); the others are dropped once done. Not from a done-callback: `shutdown` cancels
        # the futures while it iterates over them, and a cancelled future runs its callbacks at once.
        answers_request = isinstance(callback, functools.partial) and callback.func == self._send_handler_result
        if not answers_request and msg_id in self._request_futures:
            self.filed_for_notifications.add(msg_id)
        for done in [
            key
            for key in self.filed_for_notifications
            if key not in self._request_futures or self._request_futures[key].done()
        ]:
            self.filed_for_notifications.discard(done)
            self._request_futures.pop(done, None)

    def answer_parse_error(self) -> None:
        """A body that is not JSON: its id cannot be known, so the answer has id null."""
        self.answer_error(None, JsonRpcParseError())

    def answer_error(self, request_id: Any, error: JsonRpcException) -> None:
        # Written out by hand: pygls leaves `"id": null` out, which JSON-RPC requires for unknown ids.
        self._send_data({"jsonrpc": "2.0", "id": request_id, "error": {"code": error.code, "message": error.message}})
