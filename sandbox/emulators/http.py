"""Minimal threaded HTTP(S)/1.1 server plumbing shared by both emulators (keep-alive, faults, TLS)."""

from __future__ import annotations

import json
import socket
import ssl
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

JSON = "application/json;charset=UTF-8"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Any
    body: bytes

    def param(self, name: str, default: str | None = None) -> str | None:
        vals = self.query.get(name)
        return vals[0] if vals else default

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(status, body, headers or {})


class App:
    """An emulator: `handle(request) -> Response`; `fault(request) -> Response | None` runs first."""

    def handle(self, request: Request) -> Response:  # pragma: no cover - interface
        raise NotImplementedError

    def before(self, request: Request) -> tuple[Response | None, bool]:
        """(a fault response to send instead, or None; cut this response off mid-body?)."""
        return None, False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FunnelhouseSandbox/1.0"
    sys_version = ""

    def setup(self) -> None:
        tls: ssl.SSLContext | None = self.server.tls  # type: ignore[attr-defined]
        try:
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        if tls is not None:
            self.request.settimeout(30)
            self.request = tls.wrap_socket(self.request, server_side=True)
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return

    def _serve(self) -> None:
        app: App = self.server.app  # type: ignore[attr-defined]
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        req = Request(self.command, split.path, parse_qs(split.query, keep_blank_values=True), self.headers, body)
        drop = False
        try:
            resp, drop = app.before(req)
            if resp is None:
                resp = app.handle(req)
        except Exception as e:  # noqa: BLE001 - the emulator must answer, like a real server would
            resp = json_response(500, {"status": "error", "message": f"sandbox internal error: {e!r}"})
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body)))
        for k, v in resp.headers.items():
            self.send_header(k, v)
        if drop:
            self.send_header("Connection", "close")
        body = b"" if self.command == "HEAD" else resp.body
        if drop:
            body = body[: max(1, len(body) // 2)]
        # headers and body in one write: no Nagle / delayed-ACK stall between them
        self._headers_buffer.append(b"\r\n")  # type: ignore[attr-defined]
        self._headers_buffer.append(body)  # type: ignore[attr-defined]
        self.flush_headers()
        if drop:
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up (or failing the TLS handshake) are normal; stay quiet about them."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, TimeoutError, OSError)):
            return
        super().handle_error(request, client_address)


@dataclass
class RunningServer:
    server: ThreadingHTTPServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve(app: App, port: int = 0, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1",
          name: str = "sandbox") -> RunningServer:
    server = _Server((host, port), _Handler)
    server.app = app  # type: ignore[attr-defined]
    server.tls = tls  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, name=name, daemon=True)
    thread.start()
    return RunningServer(server, thread)


Handler = Callable[[Request], Response]
