"""The check for Qt's X11 libraries on this machine: a real process importing the GUI says
in one line what is missing, and the list covers what the xcb plugin links."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from clipdesk.gui import system_check
from clipdesk.gui.system_check import LIBRARIES, startup_problem


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux shared libraries")
def test_the_app_exits_with_one_line_before_qt_when_a_library_is_missing():
    """A real process importing the GUI on an X11 display: one line and exit 1 when this
    machine lacks a library (or no X server answers at :99), a normal import when it has
    them all and a server answers."""
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM",)}
    env.update(DISPLAY=":99", XDG_SESSION_TYPE="x11")
    expected = startup_problem(env, sys.platform)
    done = subprocess.run(
        [sys.executable, "-c", "import clipdesk.gui.app, sys; print('PySide6' in sys.modules)"],
        env=env,
        capture_output=True,
        text=True,
        cwd=Path(system_check.__file__).parents[2],
    )
    if expected:
        assert done.returncode == 1 and done.stdout == ""
        assert done.stderr == f"clipdesk: error: {expected}\n"
    else:
        assert done.returncode == 0 and done.stdout.strip() == "True", done.stderr


def test_the_list_covers_what_the_xcb_plugin_links():
    """Every system library PySide6's xcb plugin links is in the list (readelf -d)."""
    readelf = shutil.which("readelf")
    if readelf is None:
        pytest.skip("readelf is not installed (Debian: binutils)")
    import PySide6

    qt = Path(PySide6.__file__).parent / "Qt"
    files = [qt / "plugins" / "platforms" / "libqxcb.so", *qt.glob("lib/libQt6XcbQpa.so.*")]
    files += [qt / "lib" / f"libQt6{m}.so.6" for m in ("Core", "Gui", "Widgets", "DBus")]
    if not files[0].is_file():
        pytest.skip("this PySide6 has no xcb plugin")
    needed = set()
    for f in files:
        out = subprocess.run([readelf, "-d", str(f)], capture_output=True, text=True).stdout
        needed |= {ln.split("[")[1].split("]")[0] for ln in out.splitlines() if "(NEEDED)" in ln}
    everywhere = {"libc.so.6", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1", "libz.so.1"}
    everywhere |= {"ld-linux-x86-64.so.2", "libzstd.so.1", "libgthread-2.0.so.0"}
    shipped = {n for n in needed if n.startswith(("libQt6", "libicu", "libpyside", "libshiboken"))}
    assert needed - everywhere - shipped <= {lib.soname for lib in LIBRARIES}
