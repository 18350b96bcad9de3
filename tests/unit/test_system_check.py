"""The check for the system libraries Qt's X11 platform needs, run before Qt is imported."""

from __future__ import annotations

import sys

import pytest

from clipdesk.gui.system_check import can_load, missing_libraries, problem

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
