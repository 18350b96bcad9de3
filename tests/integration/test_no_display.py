"""`clipdesk` (the window) on a machine with no display: one line, exit 1, no core dump, no
traceback; a real process, as a user starts it over ssh or in a container."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest

from tests.support.cli import CLI

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 and Wayland")
DROPPED = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "XDG_SESSION_TYPE")


def _window(tmp_path, **env) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in DROPPED}
    environ.update(CLIPDESK_HOME=str(tmp_path / "home"), **env)
    return subprocess.run(CLI, env=environ, capture_output=True, text=True, timeout=120)


def _says_no_display(done: subprocess.CompletedProcess, why: str) -> None:
    assert done.returncode == 1, done.stderr  # not 134 (Qt's abort)
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"clipdesk: error: there is no display ({why})")
    assert "`clipdesk add FOLDER`" in lines[0] and "`clipdesk search TEXT`" in lines[0]
    assert "xcb-cursor" not in done.stderr and "Traceback" not in done.stderr


def test_no_display_variable(tmp_path):
    _says_no_display(_window(tmp_path), "DISPLAY and WAYLAND_DISPLAY are not set")


def test_a_display_with_no_x_server_behind_it(tmp_path):
    done = _window(tmp_path, DISPLAY=":97")
    _says_no_display(done, "cannot connect to an X server at DISPLAY=:97")


def test_a_real_x_server_lets_qt_start(tmp_path):
    """Under Xvfb the check lets Qt start on X11 (the window's own QApplication)."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("Xvfb is not installed (Debian: xvfb)")
    n = next(n for n in range(96, 20, -1) if not os.path.exists(f"/tmp/.X{n}-lock"))
    server = subprocess.Popen([xvfb, f":{n}", "-nolisten", "tcp"], stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            if os.path.exists(f"/tmp/.X11-unix/X{n}"):
                break
            time.sleep(0.05)
        environ = {k: v for k, v in os.environ.items() if k not in DROPPED}
        environ.update(CLIPDESK_HOME=str(tmp_path / "home"), DISPLAY=f":{n}")
        probe = "from clipdesk.gui.app import application; print(application().platformName())"
        done = subprocess.run(
            [sys.executable, "-c", probe], env=environ, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "xcb"
    finally:
        server.terminate()
        server.wait(timeout=10)
