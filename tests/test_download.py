"""Downloading model weights from a real (local) model hub: an http.server on 127.0.0.1
laid out like huggingface.co (``/{repo}/resolve/{revision}/{filename}``, the LFS file's
SHA-256 as its ETag on a redirect to the "CDN", Range requests), with HF_ENDPOINT pointing
at it. It serves the bundled test model as ``hf-hub:clipdesk/test-model``, so what is
downloaded really loads."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from clipdesk.embedding import download
from clipdesk.embedding.download import DownloadCancelled, DownloadFailed, DownloadHooks
from clipdesk.embedding.registry import TEST_MODEL_DIR

REPO = "clipdesk/test-model"
MODEL = f"hf-hub:{REPO}"
COMMIT = "c0ffee" * 6 + "c0ff"  # 40 hex digits, as the hub's commit ids
WEIGHTS = "open_clip_model.safetensors"
ROOT = Path(__file__).resolve().parents[1]


class HubServer:
    """A model hub on 127.0.0.1 serving the test model's files.

    ``cut_after``: the next ``cuts`` GETs of the weights close the connection after that
    many bytes. ``delay``: seconds between 64 KiB chunks (a slow network). ``corrupt``:
    the bytes served differ from the hash announced. ``log``: (method, path, Range)."""

    def __init__(self, repo: str = REPO, files: dict | None = None) -> None:
        self.repo = repo
        self.files = files or {
            name: (TEST_MODEL_DIR / name).read_bytes()
            for name in ("open_clip_config.json", WEIGHTS)
        }
        self._sha: dict[str, str] = {}
        self.cut_after, self.cuts, self.delay, self.corrupt = 0, 0, 0.0, False
        self.log: list[tuple[str, str, str | None]] = []
        self.sent = 0  # bytes of weights sent, all requests together
        self.sent_by: list[int] = []  # bytes of weights sent, per GET
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
            if name.endswith(".safetensors"):  # LFS: a redirect to the CDN, with the hash
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
        if m and m.group(1) == self.sha256(WEIGHTS):
            data = self.weights
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


@pytest.fixture
def hub(monkeypatch):
    """The local hub, with HF_ENDPOINT at it and the tests' offline switch off."""
    server = HubServer()
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "")
    yield server
    server.close()


def test_a_download_lands_in_the_hub_cache_verified(hub, tmp_path):
    seen = []
    path = download.fetch(REPO, WEIGHTS, tmp_path, hooks=DownloadHooks(seen.append))
    assert path.read_bytes() == hub.weights
    assert path == tmp_path / "models--clipdesk--test-model" / "snapshots" / COMMIT / WEIGHTS
    assert seen[-1].finished and seen[-1].done == seen[-1].total == len(hub.weights)
    assert not list(tmp_path.rglob("*.part"))
    # huggingface_hub (and so open_clip) finds it where it would have put it itself
    from huggingface_hub import try_to_load_from_cache

    assert try_to_load_from_cache(REPO, WEIGHTS, cache_dir=tmp_path) == str(path)
    assert download.cached_file(tmp_path, REPO, WEIGHTS) == path


def test_a_cut_connection_resumes_and_asks_only_for_the_rest(hub, tmp_path):
    hub.cut_after, hub.cuts = 3_000_000, 1
    path = download.fetch(REPO, WEIGHTS, tmp_path)
    assert path.read_bytes() == hub.weights
    ranges = [r for _, _, r in hub.gets()]
    assert ranges == [None, "bytes=3000000-"]
    assert hub.sent == len(hub.weights)  # not a byte twice


def test_a_connection_that_keeps_dropping_keeps_what_came(hub, tmp_path):
    hub.cut_after, hub.cuts = 1_000_000, 10
    with pytest.raises(DownloadFailed, match="was cut off .*3.0 MB of 7.5 MB are kept"):
        download.fetch(REPO, WEIGHTS, tmp_path)
    assert [r for _, _, r in hub.gets()] == [None, "bytes=1000000-", "bytes=2000000-"]
    (part,) = tmp_path.rglob("*.part")
    assert part.read_bytes() == hub.weights[:3_000_000]


def test_a_partial_file_from_an_earlier_run_is_resumed(hub, tmp_path):
    hub.delay = 0.02
    cancel = threading.Event()

    def progress(p):
        if p.done > 1_000_000:
            cancel.set()

    with pytest.raises(DownloadCancelled, match="kept, and the next try resumes"):
        download.fetch(REPO, WEIGHTS, tmp_path, hooks=DownloadHooks(progress, cancel))
    (part,) = tmp_path.rglob("*.part")
    kept = part.stat().st_size
    assert 1_000_000 < kept < len(hub.weights)
    assert download.cached_file(tmp_path, REPO, WEIGHTS) is None

    hub.delay, hub.sent = 0.0, 0
    seen = []
    path = download.fetch(REPO, WEIGHTS, tmp_path, hooks=DownloadHooks(seen.append))
    assert path.read_bytes() == hub.weights
    assert hub.gets()[-1][2] == f"bytes={kept}-" and hub.sent_by[-1] == len(hub.weights) - kept
    assert seen[0].resumed_from == kept and not part.exists()


def test_a_file_whose_hash_is_wrong_is_refused_and_removed(hub, tmp_path):
    hub.corrupt = True
    with pytest.raises(DownloadFailed, match="damaged .*SHA-256.*it was removed"):
        download.fetch(REPO, WEIGHTS, tmp_path)
    left = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert left == []  # no blob, no part, no snapshot that open_clip could pick up


def test_the_registry_hash_is_checked_too(hub, tmp_path):
    with pytest.raises(DownloadFailed, match="is not the expected"):
        download.fetch(REPO, WEIGHTS, tmp_path, expected_sha256="0" * 64)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_offline_asks_nothing_and_says_what_to_do(hub, tmp_path, monkeypatch):
    from clipdesk.embedding.registry import parse_model
    from clipdesk.embedding.weights import weights_file
    from clipdesk.library import ModelUnavailable

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelUnavailable, match="no connection to the model hub.*--model test"):
        weights_file(parse_model(MODEL), tmp_path)
    assert hub.log == []


def test_a_proxy_from_the_environment_is_used(hub, tmp_path, monkeypatch):
    """HF_ENDPOINT names a host this machine cannot resolve; http_proxy (the local hub,
    which also answers absolute URIs, as a proxy is asked) gets every request."""
    monkeypatch.setenv("HF_ENDPOINT", "http://hub.invalid")
    monkeypatch.setenv("http_proxy", hub.url)
    from clipdesk.embedding.registry import parse_model
    from clipdesk.embedding.weights import weights_file

    path = weights_file(parse_model(MODEL), tmp_path)
    assert path.read_bytes() == hub.weights
    assert hub.log and all(p.startswith("http://") for _, p, _ in hub.log)  # as to a proxy
    assert hub.log[0][1].startswith("http://hub.invalid/")


def test_the_downloaded_model_loads_and_a_second_load_asks_nothing(hub, tmp_path):
    from clipdesk.embedding import load_embedder

    onnx = tmp_path / "onnx"
    emb = load_embedder(MODEL, backend="onnx", weights_dir=tmp_path / "w", onnx_dir=onnx)
    assert emb.dim == 64
    asked = len(hub.log)
    load_embedder(MODEL, backend="onnx", weights_dir=tmp_path / "w", onnx_dir=onnx)
    assert len(hub.log) == asked


def own_onnx_cache(home: Path) -> None:
    """The tests' shared ONNX cache remembers the weights an earlier test downloaded for
    this model (and would rightly load without a download): give ``home`` its own."""
    onnx = home / "cache" / "onnx"
    onnx.unlink()
    onnx.mkdir()


# -- the terminal -------------------------------------------------------------------------


def _env(hub: HubServer, home: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_ENDPOINT": hub.url}
    env.pop("HF_HUB_OFFLINE", None)
    env["CLIPDESK_HOME"] = str(home)
    return env


def test_the_cli_shows_the_download_then_indexes_with_the_model(hub, home, shapes):
    own_onnx_cache(home)
    proc = subprocess.run(
        [sys.executable, "-m", "clipdesk", "--model", MODEL, "add", str(shapes)],
        capture_output=True,
        text=True,
        env=_env(hub, home),
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert any(re.match(rf"downloading {WEIGHTS}: 7.5 MB", line) for line in lines), lines
    assert any("verified" in line and WEIGHTS in line for line in lines), lines
    assert "36 embedded" in proc.stdout


def test_ctrl_c_keeps_the_partial_file_and_the_next_run_resumes(hub, home, shapes):
    """On a terminal: a bar updated in place; Ctrl-C: one line, exit 130; then resumed."""
    import fcntl
    import pty
    import struct
    import termios

    own_onnx_cache(home)
    hub.delay = 0.05
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 110, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "clipdesk", "--model", MODEL, "add", str(shapes)],
        stdout=subprocess.PIPE,
        stderr=slave,
        env=_env(hub, home),
    )
    os.close(slave)
    out = bytearray()

    def drain() -> None:  # a terminal that nobody reads blocks the writer
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                return
            if not chunk:
                return
            out.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and hub.sent < 1_000_000 and proc.poll() is None:
        time.sleep(0.05)
    assert hub.sent >= 1_000_000, f"the download never started: {bytes(out)!r}"
    proc.send_signal(signal.SIGINT)
    proc.wait(60)
    reader.join(10)
    os.close(master)
    text = out.decode()
    assert proc.returncode == 130, text
    assert "\r" in text and "MB/s" in text  # a bar redrawn in place
    last = [line for line in re.split(r"[\r\n]+", text) if line.strip()][-1]
    assert "kept" in last and "resumes" in last and "Traceback" not in text
    (part,) = home.rglob("*.part")
    kept = part.stat().st_size

    hub.delay, hub.sent = 0.0, 0
    proc = subprocess.run(
        [sys.executable, "-m", "clipdesk", "index"],
        capture_output=True,
        text=True,
        env=_env(hub, home),
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert hub.gets()[-1][2] == f"bytes={kept}-" and hub.sent_by[-1] == len(hub.weights) - kept
    assert "resuming" in proc.stderr and "36 embedded" in proc.stdout
