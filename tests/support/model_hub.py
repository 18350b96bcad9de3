"""A model hub on 127.0.0.1 laid out like huggingface.co, serving the bundled test model.

``/{repo}/resolve/{revision}/{filename}``, the LFS file's SHA-256 as its ETag on a redirect
to the "CDN", Range requests; with HF_ENDPOINT pointing at it (the ``hub`` fixture in
tests/conftest.py), what is downloaded as ``hf-hub:clipdesk/test-model`` really loads. Any
repository and files can be served instead (a ready-made export's: tests/support/
readymade_exports.py); a file whose name ends as the hub's LFS files do is one of those."""

from __future__ import annotations

import hashlib
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from clipdesk.embedding.registry import TEST_MODEL_DIR

REPO = "clipdesk/test-model"
MODEL = f"hf-hub:{REPO}"
COMMIT = "c0ffee" * 6 + "c0ff"  # 40 hex digits, as the hub's commit ids
WEIGHTS = "open_clip_model.safetensors"
LFS = (".safetensors", ".onnx", ".bin", ".gz")  # LFS files by the hub's .gitattributes


class HubServer:
    """A model hub on 127.0.0.1 serving the test model's files (or ``files`` of ``repo``).

    ``cut_after``: the next ``cuts`` GETs of an LFS file (the weights) close the connection
    after that many bytes. ``delay``: seconds between 64 KiB chunks (a slow network).
    ``corrupt``: the bytes served differ from the hash announced. ``log``: (method, path,
    Range)."""

    def __init__(self, repo: str = REPO, files: dict | None = None) -> None:
        self.repo = repo
        self.files = files or {
            name: (TEST_MODEL_DIR / name).read_bytes()
            for name in ("open_clip_config.json", WEIGHTS)
        }
        self._sha: dict[str, str] = {}
        self.cut_after, self.cuts, self.delay, self.corrupt = 0, 0, 0.0, False
        self.log: list[tuple[str, str, str | None]] = []
        self.sent = 0  # bytes of LFS files (weights) sent, all requests together
        self.sent_by: list[int] = []  # bytes of LFS files sent, per GET
        self.connections: list = []  # closed at the end, so no handler thread waits on one
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                server.connections.append(self.connection)

            def do_HEAD(self) -> None:
                server.handle(self, body=False)

            def do_GET(self) -> None:
                server.handle(self, body=True)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = False  # server_close() joins the handler threads
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        for conn in self.connections:  # a client's idle keep-alive connection
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.httpd.server_close()
        self.thread.join(5)

    @property
    def weights(self) -> bytes:
        return self.files[WEIGHTS]

    def sha256(self, name: str) -> str:
        if name not in self._sha:
            data = self.files[name]
            self._sha[name] = getattr(data, "sha256", None) or hashlib.sha256(data).hexdigest()
        return self._sha[name]

    def gets(self) -> list[tuple[str, str, str | None]]:
        return [e for e in self.log if e[0] == "GET" and e[1].startswith("/cdn/")]

    def handle(self, h: BaseHTTPRequestHandler, body: bool) -> None:
        path = re.sub(r"^https?://[^/]+", "", h.path)  # an absolute URI: sent to a proxy
        self.log.append((h.command, h.path, h.headers.get("Range")))
        m = re.fullmatch(rf"/{self.repo}/resolve/[^/]+/(.+)", path)
        if m:
            name = m.group(1)
            if name not in self.files:
                h.send_response(404)
                h.send_header("X-Error-Code", "EntryNotFound")
                h.send_header("Content-Length", "0")
                h.end_headers()
                return
            data = self.files[name]
            sha = self.sha256(name)
            if name.endswith(LFS):  # LFS: a redirect to the CDN, with the hash
                h.send_response(302)
                h.send_header("Location", f"{self.url}/cdn/{sha}")  # the CDN: absolute
                h.send_header("X-Linked-Etag", f'"{sha}"')
                h.send_header("X-Linked-Size", str(len(data)))
                h.send_header("ETag", '"redirect"')
                h.send_header("X-Repo-Commit", COMMIT)
                h.send_header("Content-Length", "0")
                h.end_headers()
                return
            git_sha = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
            self._send(h, data, {"ETag": f'"{git_sha}"', "X-Repo-Commit": COMMIT}, body)
            return
        m = re.fullmatch(r"/cdn/([0-9a-f]{64})", path)
        lfs = {self.sha256(n): n for n in self.files if n.endswith(LFS)}
        if m and m.group(1) in lfs:
            data = self.files[lfs[m.group(1)]]
            if self.corrupt:
                data = data[:-16] + b"\0" * 16
            # (the same host as the hub, so huggingface_hub follows the redirect here and
            # wants the hub's headers again)
            headers = {"ETag": f'"{m.group(1)}"', "X-Repo-Commit": COMMIT}
            self._send(h, data, headers, body, weights=True)
            return
        h.send_response(404)
        h.send_header("Content-Length", "0")
        h.end_headers()

    def _send(self, h, data: bytes, headers: dict, body: bool, weights: bool = False) -> None:
        start = 0
        wanted = h.headers.get("Range")
        if wanted:
            start = int(re.fullmatch(r"bytes=(\d+)-", wanted).group(1))
            h.send_response(206)
            h.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            h.send_response(200)
        for k, v in headers.items():
            h.send_header(k, v)
        h.send_header("Accept-Ranges", "bytes")
        h.send_header("Content-Length", str(len(data) - start))
        h.end_headers()
        if not body:
            return
        limit = len(data)
        if weights and self.cuts > 0:
            self.cuts -= 1
            limit = min(limit, start + self.cut_after)
        pos = start
        if weights:
            self.sent_by.append(0)
            mine = len(self.sent_by) - 1
        try:
            while pos < limit:
                end = min(pos + 65536, limit)
                h.wfile.write(data[pos:end])
                if weights:
                    self.sent += end - pos
                    self.sent_by[mine] += end - pos
                pos = end
                if self.delay:
                    h.wfile.flush()
                    time.sleep(self.delay)
            h.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return
        if pos < len(data):  # cut off: close without the rest
            h.close_connection = True
            h.connection.shutdown(2)


def own_onnx_cache(home: Path) -> None:
    """The tests' shared ONNX cache remembers the weights an earlier test downloaded for
    this model (and would rightly load without a download): give ``home`` its own."""
    onnx = home / "cache" / "onnx"
    onnx.unlink()
    onnx.mkdir()
