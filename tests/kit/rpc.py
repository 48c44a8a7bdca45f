"""HTTP stand-ins for the transport tests: a scripted JSON-RPC node, and a proxy in front of a
real node that loses chosen answers (the request reaches the node, the answer never returns).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: (method, params) -> a JSON-RPC reply without id ({"result": ...} or {"error": ...}),
#: or None to answer HTTP 503 (a transport failure).
Script = Callable[[str, list[Any]], dict[str, Any] | None]


class _Server(ThreadingHTTPServer):
    daemon_threads = True


@contextmanager
def _serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class Recorder:
    """What reached a stand-in: each request's method and arrival time."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, float]] = []
        self.connections = 0  # TCP connections accepted (keep-alive reuses them)
        self.lock = threading.Lock()

    def connected(self) -> None:
        with self.lock:
            self.connections += 1

    def add(self, method: str) -> None:
        with self.lock:
            self.calls.append((method, time.monotonic()))

    def methods(self) -> list[str]:
        return [m for m, _ in self.calls]


@contextmanager
def scripted_node(script: Script) -> Iterator[tuple[str, Recorder]]:
    """A JSON-RPC server on a free port answering each call with ``script`` (batches too)."""
    seen = Recorder()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real nodes

        def setup(self) -> None:
            super().setup()
            seen.connected()

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            calls = body if isinstance(body, list) else [body]
            replies = []
            for call in calls:
                seen.add(call["method"])
                reply = script(call["method"], call.get("params", []))
                if reply is None:
                    self._send(503, b"upstream unavailable")
                    return
                replies.append({"jsonrpc": "2.0", "id": call["id"], **reply})
            self._send(200, json.dumps(replies if isinstance(body, list) else replies[0]).encode())

        def _send(self, status: int, data: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    with _serve(Handler) as url:
        yield url, seen


@contextmanager
def lossy_proxy(target: str, lose: Callable[[str, int], bool]) -> Iterator[tuple[str, Recorder]]:
    """A proxy to the node at ``target`` that forwards every request, but drops the connection
    instead of answering when ``lose(method, n)`` says so (``n``: how many requests of that
    method came before)."""
    seen = Recorder()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            data = self.rfile.read(int(self.headers["Content-Length"]))
            body = json.loads(data)
            method = body["method"] if isinstance(body, dict) else "batch"
            before = seen.methods().count(method)
            seen.add(method)
            request = urllib.request.Request(
                target, data=data, headers={"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                answer = response.read()
            if lose(method, before):
                self.close_connection = True  # the node acted; its answer is lost
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    with _serve(Handler) as url:
        yield url, seen
