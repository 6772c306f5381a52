"""A small fault-injecting HTTP proxy in front of the moto server, on 127.0.0.1.

Requests go through to moto unchanged, except those a :class:`Fault` names (by operation:
the ``X-Amz-Target`` suffix of a JSON API, ``GetObject`` for an S3 GET). A fault answers a
200 with half the body (and a matching length), sends half the body under the whole
``Content-Length``, resets the connection, stalls before answering, answers 503, or gives
each page a new, never-ending ``nextForwardToken``/``nextToken``. Every fault is bounded
(``times``) and the proxy stops with its context manager, so no test can hang on it.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse


@dataclass
class Fault:
    """What to do to the requests of one operation."""

    operation: str
    action: str
    """``truncate``, ``short``, ``reset``, ``stall``, ``503``, ``endless-token`` or ``every-second-503``."""
    times: int = 1_000_000
    """How many matching requests to affect (then they pass through)."""
    seconds: float = 0.0
    """For ``stall``: how long to wait before answering."""
    seen: int = 0
    applied: int = 0


@dataclass
class FaultProxy:
    """The proxy; ``url`` is what to give botocore as its endpoint."""

    upstream: str
    faults: list[Fault] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    url: str = ""

    def fault(self, operation: str) -> Fault | None:
        """The fault to apply to this request of ``operation``, if any (counts it)."""
        for fault in self.faults:
            if fault.operation != operation:
                continue
            fault.seen += 1
            if fault.applied >= fault.times:
                return None
            if fault.action == "every-second-503" and fault.seen % 2:
                return None
            fault.applied += 1
            return fault
        return None


def _operation(handler: BaseHTTPRequestHandler) -> str:
    target = handler.headers.get("X-Amz-Target", "")
    if target:
        return target.rsplit(".", 1)[-1]
    parts = [p for p in urlparse(handler.path).path.split("/") if p]
    if handler.command == "GET" and len(parts) >= 2:
        return "GetObject"
    return handler.command


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    upstream = urlparse(proxy.upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # quiet
            pass

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            operation = _operation(self)
            proxy.requests.append(operation)
            fault = proxy.fault(operation)
            if fault is not None and fault.action == "reset":
                # An RST, not a polite FIN: what a dropped connection looks like to botocore.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                return
            if fault is not None and fault.action in ("503", "every-second-503"):
                self._send(503, {"Content-Type": "application/x-amz-json-1.1"},
                           b'{"__type":"ServiceUnavailableException","message":"Service Unavailable"}')  # fmt: skip
                return
            if fault is not None and fault.action == "stall":
                time.sleep(fault.seconds)
            conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=30)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection",)}
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                out_headers = {
                    k: v
                    for k, v in response.getheaders()
                    if k.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding")
                }
                status = response.status
            finally:
                conn.close()
            if fault is None or fault.action == "stall":
                self._send(status, out_headers, data)
            elif fault.action == "truncate":
                self._send(status, out_headers, data[: len(data) // 2])
            elif fault.action == "short":
                self.send_response(status)
                for key, value in out_headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
            elif fault.action == "endless-token":
                page = json.loads(data)
                for key in ("nextForwardToken", "nextToken"):
                    page[key] = f"f/{fault.applied:056d}"
                if "projects" in page or "ids" in page:
                    page["nextToken"] = f"t{fault.applied}"
                self._send(status, out_headers, json.dumps(page).encode())
            else:  # pragma: no cover - a typo in a test
                raise AssertionError(f"unknown fault {fault.action}")

        def _send(self, status: int, headers: dict[str, str], data: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _forward

    return Handler


@contextlib.contextmanager
def fault_proxy(upstream: str, *faults: Fault) -> Iterator[FaultProxy]:
    """A running proxy to ``upstream`` with ``faults``; stopped (and its threads ended) on exit."""
    proxy = FaultProxy(upstream, list(faults))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(proxy))
    server.daemon_threads = True
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
