"""A real HTTP server on 127.0.0.1 that speaks the OpenAI Chat Completions protocol.

Tests script its replies (text, tool calls, streamed or not) and faults (an HTTP status, a
hang, a dropped connection), then read back every request body it received, so they can
assert on what PromoPilot sent: which tools it offered, and that no customer PII went out.

    with FakeOpenAI() as server:
        server.reply(content='{"k": 4, "reason": "elbow"}')
        server.fault(429)                       # queued in order
        client = openai.OpenAI(base_url=server.base_url, api_key="test")
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Scripted:
    content: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)  # [{"name":..., "arguments": str|dict}]
    status: int = 200
    hang: float = 0.0  # seconds to sleep before answering
    drop: bool = False  # close the connection without an answer
    cut_after: int | None = None  # streaming: close the connection after this many chunks
    stall_after: int | None = None  # streaming: go silent (for `hang` seconds) after this many chunks


class FakeOpenAI:
    def __init__(self) -> None:
        self.script: list[Scripted] = []
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []  # each request's HTTP headers (lower-case names)
        self.default: Scripted | None = None
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    # -- scripting ---------------------------------------------------------------------------
    def reply(self, content: str | None = None, tool_calls: list[dict[str, Any]] | None = None) -> FakeOpenAI:
        self.script.append(Scripted(content=content, tool_calls=tool_calls or []))
        return self

    def fault(self, status: int = 500, *, hang: float = 0.0, drop: bool = False) -> FakeOpenAI:
        self.script.append(Scripted(status=status, hang=hang, drop=drop))
        return self

    def broken_stream(
        self, content: str, *, cut_after: int | None = None, stall_after: int | None = None, hang: float = 0.0
    ) -> FakeOpenAI:
        """A streamed answer that starts, then loses its connection (`cut_after`) or stalls (`stall_after`)."""
        self.script.append(Scripted(content=content, cut_after=cut_after, stall_after=stall_after, hang=hang))
        return self

    def bodies(self) -> str:
        """Every request body received, as one string (for 'no PII was sent' asserts)."""
        return "\n".join(json.dumps(r) for r in self.requests)

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next(self) -> Scripted:
        with self._lock:
            if self.script:
                return self.script.pop(0)
        if self.default is not None:
            return self.default
        return Scripted(status=500, content="no scripted reply left")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with server._lock:
                    server.requests.append(body)
                    server.headers.append({k.lower(): v for k, v in self.headers.items()})
                step = server._next()
                if step.hang and step.stall_after is None:
                    time.sleep(step.hang)
                if step.drop:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if step.status != 200:
                    payload = {"error": {"message": f"scripted fault {step.status}", "type": "server_error"}}
                    return self._send_json(step.status, payload)
                if body.get("stream"):
                    return self._stream(step, body)
                return self._send_json(200, _completion(step, body))

            def _send_json(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, step: Scripted, body: dict[str, Any]) -> None:
                """Server-sent events in chunked transfer encoding, as api.openai.com sends them."""
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                for i, chunk in enumerate(_chunks(step, body)):
                    if i == step.cut_after:
                        self.connection.shutdown(2)  # mid-body: the client sees an incomplete chunked read
                        return
                    if i == step.stall_after:
                        time.sleep(step.hang)
                        return
                    self._write_chunk(f"data: {json.dumps(chunk)}\n\n".encode())
                self._write_chunk(b"data: [DONE]\n\n")
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

            def _write_chunk(self, data: bytes) -> None:
                self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

        return Handler


def _arguments(call: dict[str, Any]) -> str:
    args = call.get("arguments", {})
    return args if isinstance(args, str) else json.dumps(args)


def _completion(step: Scripted, body: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": step.content}
    if step.tool_calls:
        message["tool_calls"] = [
            {"id": f"call_{i}", "type": "function", "function": {"name": c["name"], "arguments": _arguments(c)}}
            for i, c in enumerate(step.tool_calls)
        ]
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if step.tool_calls else "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def _chunks(step: Scripted, body: dict[str, Any]) -> list[dict[str, Any]]:
    base = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
    }
    chunks = []
    if step.content:
        words = step.content.split(" ")
        for i, word in enumerate(words):
            piece = word if i == len(words) - 1 else word + " "
            chunks.append({**base, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
    for i, call in enumerate(step.tool_calls):
        delta = {
            "tool_calls": [
                {
                    "index": i,
                    "id": f"call_{i}",
                    "type": "function",
                    "function": {"name": call["name"], "arguments": _arguments(call)},
                }
            ]
        }
        chunks.append({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
    finish = "tool_calls" if step.tool_calls else "stop"
    chunks.append(
        {
            **base,
            "choices": [{"index": 0, "delta": {}, "finish_reason": finish}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        }
    )
    return chunks
