"""A loopback OpenAI-compatible server for tests: POST /v1/chat/completions, scripted per request.

The real langchain-openai client talks to it over HTTP on 127.0.0.1, so the tests exercise the
client's own request building, parsing, timeouts and retries. Each request takes the next scripted
Behaviour from the queue (an empty queue answers HTTP 500, so a missing script fails loudly) and is
recorded, so tests can check what was sent: the fenced note, the schema, the Authorization header.

Structured output is answered in the shape the request asked for: as a tool call when the request
carries `tools` (method="function_calling"), otherwise as message content (method="json_schema").
Streaming is not implemented: the adapter never streams, and a streaming request gets HTTP 400.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

Kind = Literal["structured", "text", "refusal", "error", "hang"]


@dataclass(frozen=True)
class Behaviour:
    kind: Kind
    body: str = ""  # the structured payload or the content, as the exact text to send
    status: int = 200
    seconds: float = 0.0


def structured(data: dict[str, Any]) -> Behaviour:
    """Well-formed JSON as the structured answer (tool-call arguments or content)."""
    return Behaviour("structured", json.dumps(data, ensure_ascii=False))


def raw_structured(text: str) -> Behaviour:
    """Any text where the structured answer goes, e.g. broken JSON."""
    return Behaviour("structured", text)


def text(content: str) -> Behaviour:
    """A plain assistant message with this content and no tool call ("" for an empty answer)."""
    return Behaviour("text", content)


def refusal(message: str = "I'm sorry, I can't help with that.") -> Behaviour:
    return Behaviour("refusal", message)


def http_error(status: int = 500) -> Behaviour:
    return Behaviour("error", status=status)


def hang(seconds: float = 30.0) -> Behaviour:
    """Say nothing for this long (or until the server stops), then answer with an empty message."""
    return Behaviour("hang", seconds=seconds)


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]  # lower-case names
    body: dict[str, Any] = field(default_factory=dict)

    def message(self, role: str) -> str:
        """The text of the first message with this role ("system", "user")."""
        for msg in self.body.get("messages", []):
            if msg.get("role") == role:
                content = msg.get("content")
                if isinstance(content, list):  # content parts
                    return "".join(part.get("text", "") for part in content if isinstance(part, dict))
                return str(content or "")
        return ""


class FakeOpenAI:
    """Start with `with FakeOpenAI() as server:`; point the client at `server.base_url`."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._queue: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()  # releases hanging handlers when the server stops
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-openai", daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def script(self, *behaviours: Behaviour) -> None:
        with self._lock:
            self._queue.extend(behaviours)

    @property
    def last(self) -> RecordedRequest:
        return self.requests[-1]

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # Called from handler threads.
    def _next(self, request: RecordedRequest) -> Behaviour | None:
        with self._lock:
            self.requests.append(request)
            return self._queue.popleft() if self._queue else None

    def _completion(self, request: RecordedRequest, behaviour: Behaviour) -> dict[str, Any]:
        body = request.body
        message: dict[str, Any] = {"role": "assistant", "content": behaviour.body}
        finish = "stop"
        if behaviour.kind == "refusal":
            message = {"role": "assistant", "content": None, "refusal": behaviour.body}
        elif behaviour.kind == "structured" and body.get("tools"):
            choice = body.get("tool_choice")
            # Answer with the forced tool, or the first one offered.
            chosen = choice["function"] if isinstance(choice, dict) else body["tools"][0]["function"]
            name = chosen["name"]
            call = {
                "id": f"call_{next(self._ids)}",
                "type": "function",
                "function": {"name": name, "arguments": behaviour.body},
            }
            message = {"role": "assistant", "content": None, "tool_calls": [call]}
            finish = "tool_calls"
        elif behaviour.kind == "hang":
            message = {"role": "assistant", "content": ""}
        return {
            "id": f"chatcmpl-fake-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ThreadingHTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # keep pytest output clean

    def do_POST(self) -> None:
        fake: FakeOpenAI = self.server.fake  # type: ignore[attr-defined]
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self._send(400, {"error": {"message": "request body is not JSON", "type": "invalid_request"}})
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = RecordedRequest(path=self.path, headers=headers, body=body)
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        behaviour = fake._next(request)
        if body.get("stream"):
            self._send(400, {"error": {"message": "streaming is not supported", "type": "invalid_request"}})
            return
        if behaviour is None:
            self._send(500, {"error": {"message": "no scripted behaviour left", "type": "server_error"}})
            return
        if behaviour.kind == "error":
            self._send(behaviour.status, {"error": {"message": "scripted failure", "type": "server_error"}})
            return
        if behaviour.kind == "hang":
            fake._stopping.wait(behaviour.seconds)
        self._send(200, fake._completion(request, behaviour))

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            # Lets the OpenAI SDK retry at once instead of after its 0.5-8 s back-off.
            self.send_header("retry-after-ms", "1")
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test); nothing to answer
