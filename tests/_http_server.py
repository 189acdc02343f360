"""A local HTTP server on 127.0.0.1 for the fetcher's tests: serves the bytes the test puts at a path, honours Range
requests, and misbehaves on demand (cut a response short, answer 404 / 429 / 503, ignore Range)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Behaviour:
    """How the server answers one path. Counters fall to zero as requests arrive."""

    body: bytes = b""
    status: int = 200
    cut_after: int | None = None      # send only this many bytes of the body (Content-Length stays the full size)
    cuts: int = 0                     # ... for this many requests
    fail_status: int | None = None    # answer this status ...
    fails: int = 0                    # ... for this many requests
    retry_after: str | None = None    # with this Retry-After header
    ignore_range: bool = False
    content_type: str = "application/octet-stream"


@dataclass
class Request:
    path: str
    headers: dict[str, str]


@dataclass
class LocalServer:
    """``server.put(path, behaviour)``; ``server.url(path)``; ``server.requests`` lists what arrived."""

    base: str = ""
    paths: dict[str, Behaviour] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)

    def put(self, path: str, body: bytes = b"", **kwargs) -> Behaviour:
        self.paths[path] = Behaviour(body=body, **kwargs)
        return self.paths[path]

    def url(self, path: str) -> str:
        return self.base + path

    def requests_for(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path.split("?")[0] == path]


def _handler(state: LocalServer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep the test output clean
            pass

        def do_GET(self):
            state.requests.append(Request(self.path, dict(self.headers.items())))
            behaviour = state.paths.get(self.path.split("?")[0])
            if behaviour is None:
                self.send_error(404, "Not Found")
                return
            if behaviour.fails > 0:
                behaviour.fails -= 1
                self.send_response(behaviour.fail_status)
                if behaviour.retry_after is not None:
                    self.send_header("Retry-After", behaviour.retry_after)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if behaviour.status != 200:
                self.send_error(behaviour.status)
                return
            body, start = behaviour.body, 0
            wanted = self.headers.get("Range")
            if wanted and not behaviour.ignore_range:
                start = int(wanted.split("=")[1].split("-")[0])
                if start >= len(body):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(body)}")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            self.send_header("Content-Type", behaviour.content_type)
            self.send_header("Content-Length", str(len(body) - start))
            self.end_headers()
            payload = body[start:]
            if behaviour.cuts > 0 and behaviour.cut_after is not None:
                behaviour.cuts -= 1
                payload = payload[: behaviour.cut_after]
                self.wfile.write(payload)
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(payload)

    return Handler


def serve():
    """Context manager: a running LocalServer on a free port of 127.0.0.1."""
    from contextlib import contextmanager

    @contextmanager
    def running():
        state = LocalServer()
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
        state.base = f"http://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield state
        finally:
            server.shutdown()
            server.server_close()
            thread.join()

    return running()
