"""A model downloaded from a real (local) model hub (tests/support/model_hub.py, serving the
bundled test model as ``hf-hub:clipdesk/test-model``) really loads, and the terminal shows
the download, keeps a part cut off by Ctrl+C and resumes it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.support.model_hub import MODEL, WEIGHTS, HubServer, own_onnx_cache

ROOT = Path(__file__).resolve().parents[2]


def test_the_downloaded_model_loads_and_a_second_load_asks_nothing(hub, tmp_path):
    from clipdesk.embedding import load_embedder

    onnx = tmp_path / "onnx"
    emb = load_embedder(MODEL, backend="onnx", weights_dir=tmp_path / "w", onnx_dir=onnx)
    assert emb.dim == 64
    asked = len(hub.log)
    load_embedder(MODEL, backend="onnx", weights_dir=tmp_path / "w", onnx_dir=onnx)
    assert len(hub.log) == asked


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
