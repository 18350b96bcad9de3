"""The check for the system libraries Qt's X11 platform needs, run before Qt is imported."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from clipdesk.gui import system_check
from clipdesk.gui.system_check import LIBRARIES, can_load, missing_libraries, problem

X11 = {"DISPLAY": ":0"}


def _all_but(*missing: str):
    return lambda soname: soname not in missing


def test_a_missing_xcb_library_names_its_debian_and_fedora_package():
    message = problem(X11, "linux", _all_but("libxcb-icccm.so.4"))
    assert message is not None and "\n" not in message
    assert "libxcb-icccm.so.4" in message
    assert "sudo apt install libxcb-icccm4`" in message
    assert "sudo dnf install xcb-util-wm`" in message


def test_the_libraries_from_the_issue_report():
    message = problem(X11, "linux", _all_but("libxcb-icccm.so.4", "libxcb-keysyms.so.1"))
    assert "apt install libxcb-icccm4 libxcb-keysyms1`" in message
    assert "dnf install xcb-util-wm xcb-util-keysyms`" in message
    assert "cursor" not in message  # Qt's own message blames xcb-cursor; this one does not


def test_nothing_missing_means_no_message():
    assert problem(X11, "linux", _all_but()) is None


@pytest.mark.parametrize(
    "environ",
    [
        {"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"},
        {"DISPLAY": ":0", "QT_QPA_PLATFORM": "wayland"},
        {"DISPLAY": ":0", "XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"},
        {},  # no display at all: Qt says so itself
    ],
)
def test_xcb_libraries_matter_only_when_qt_will_use_xcb(environ):
    assert problem(environ, "linux", _all_but("libxcb-icccm.so.4")) is None
    assert [lib.soname for lib in missing_libraries(environ, "linux", _all_but("libGL.so.1"))] == [
        "libGL.so.1"
    ]


def test_xcb_asked_for_explicitly_is_checked_without_display():
    assert problem({"QT_QPA_PLATFORM": "xcb"}, "linux", _all_but("libxcb-xkb.so.1"))


def test_not_linux_checks_nothing():
    assert problem(X11, "darwin", _all_but("libGL.so.1")) is None
    assert problem(X11, "win32", _all_but("libGL.so.1")) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux shared libraries")
def test_the_real_loader():
    assert can_load("libc.so.6")
    assert not can_load("libclipdesk-no-such-library.so.0")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux shared libraries")
def test_the_app_exits_with_one_line_before_qt_when_a_library_is_missing():
    """A real process importing the GUI on an X11 display: one line and exit 1 when this
    machine lacks a library, a normal import when it has them all."""
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM",)}
    env.update(DISPLAY=":99", XDG_SESSION_TYPE="x11")
    expected = problem(env, sys.platform)
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
