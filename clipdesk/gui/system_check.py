"""Before Qt starts on Linux: is there a display, and are the system libraries its X11 (xcb)
platform needs there?

Without either Qt aborts (exit 134, a core dump) with a message that names the wrong
library (libxcb-cursor0, installed or not). This module imports no Qt. A display is there
when ``DISPLAY`` or ``WAYLAND_DISPLAY`` is set and, on X11, the X server answers
(``xcb_connect``); without one it says so in one line and names the terminal commands,
which need none. Each library is loaded with ctypes and, when any is missing, the line
says which packages to install. The list is what PySide6's ``libqxcb.so``,
``libQt6XcbQpa.so.6`` and the Qt libraries ClipDesk uses link against (``readelf -d``),
less what every Linux system has (libc, libstdc++, zlib) and the libraries PySide6 ships.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class SystemLibrary:
    soname: str
    debian: str  # Debian / Ubuntu package
    fedora: str  # Fedora package
    xcb_only: bool = True  # needed only by the X11 platform plugin


LIBRARIES = (
    SystemLibrary("libxcb.so.1", "libxcb1", "libxcb"),
    SystemLibrary("libxcb-cursor.so.0", "libxcb-cursor0", "xcb-util-cursor"),
    SystemLibrary("libxcb-icccm.so.4", "libxcb-icccm4", "xcb-util-wm"),
    SystemLibrary("libxcb-image.so.0", "libxcb-image0", "xcb-util-image"),
    SystemLibrary("libxcb-keysyms.so.1", "libxcb-keysyms1", "xcb-util-keysyms"),
    SystemLibrary("libxcb-randr.so.0", "libxcb-randr0", "libxcb"),
    SystemLibrary("libxcb-render.so.0", "libxcb-render0", "libxcb"),
    SystemLibrary("libxcb-render-util.so.0", "libxcb-render-util0", "xcb-util-renderutil"),
    SystemLibrary("libxcb-shape.so.0", "libxcb-shape0", "libxcb"),
    SystemLibrary("libxcb-shm.so.0", "libxcb-shm0", "libxcb"),
    SystemLibrary("libxcb-sync.so.1", "libxcb-sync1", "libxcb"),
    SystemLibrary("libxcb-util.so.1", "libxcb-util1", "xcb-util"),
    SystemLibrary("libxcb-xfixes.so.0", "libxcb-xfixes0", "libxcb"),
    SystemLibrary("libxcb-xkb.so.1", "libxcb-xkb1", "libxcb"),
    SystemLibrary("libxkbcommon-x11.so.0", "libxkbcommon-x11-0", "libxkbcommon-x11"),
    SystemLibrary("libX11.so.6", "libx11-6", "libX11"),
    SystemLibrary("libX11-xcb.so.1", "libx11-xcb1", "libX11-xcb"),
    # Needed on every platform plugin (QtGui itself links them).
    SystemLibrary("libxkbcommon.so.0", "libxkbcommon0", "libxkbcommon", False),
    SystemLibrary("libEGL.so.1", "libegl1", "libglvnd-egl", False),
    SystemLibrary("libGL.so.1", "libgl1", "libglvnd-glx", False),
    SystemLibrary("libfontconfig.so.1", "libfontconfig1", "fontconfig", False),
    SystemLibrary("libfreetype.so.6", "libfreetype6", "freetype", False),
    SystemLibrary("libglib-2.0.so.0", "libglib2.0-0", "glib2", False),
    SystemLibrary("libdbus-1.so.3", "libdbus-1-3", "dbus-libs", False),
)


def can_load(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def asked_platform(environ: Mapping[str, str]) -> str:
    """The platform plugin ``QT_QPA_PLATFORM`` asks for first ("" when it asks none)."""
    return environ.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()


def uses_xcb(environ: Mapping[str, str]) -> bool:
    """Whether Qt will start its X11 platform: asked for, or the default on an X11 session."""
    asked = asked_platform(environ)
    if asked:
        return asked == "xcb"
    wayland = environ.get("XDG_SESSION_TYPE") == "wayland" and environ.get("WAYLAND_DISPLAY")
    return bool(environ.get("DISPLAY")) and not wayland


def missing_libraries(
    environ: Mapping[str, str] | None = None,
    platform: str = sys.platform,
    load: Callable[[str], bool] = can_load,
) -> list[SystemLibrary]:
    """The libraries Qt will need here and cannot load (none off Linux)."""
    if not platform.startswith("linux"):
        return []
    environ = os.environ if environ is None else environ
    xcb = uses_xcb(environ)
    return [lib for lib in LIBRARIES if (xcb or not lib.xcb_only) and not load(lib.soname)]


def problem(
    environ: Mapping[str, str] | None = None,
    platform: str = sys.platform,
    load: Callable[[str], bool] = can_load,
) -> str | None:
    """One line saying what to install, or None when Qt has what it needs."""
    missing = missing_libraries(environ, platform, load)
    if not missing:
        return None
    debian = " ".join(dict.fromkeys(lib.debian for lib in missing))
    fedora = " ".join(dict.fromkeys(lib.fedora for lib in missing))
    return (
        f"the desktop app needs system libraries that are missing: "
        f"{', '.join(lib.soname for lib in missing)}. Install them with "
        f"`sudo apt install {debian}` (Debian, Ubuntu) or `sudo dnf install {fedora}` (Fedora)"
    )


TERMINAL = "`clipdesk --help`, `clipdesk add FOLDER`, `clipdesk search TEXT`"
"""The commands that work without a display, named where the window cannot open."""


def x_server_answers(display: str) -> bool:
    """Whether the X server ``display`` names accepts a connection (libxcb's ``xcb_connect``,
    as Qt's xcb plugin connects). True when libxcb cannot be loaded: the library check
    names it."""
    try:
        xcb = ctypes.CDLL("libxcb.so.1")
    except OSError:
        return True
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(display.encode(), None)  # never NULL: an error object
    try:
        return xcb.xcb_connection_has_error(connection) == 0
    finally:
        xcb.xcb_disconnect(connection)


def display_problem(
    environ: Mapping[str, str] | None = None,
    platform: str = sys.platform,
    answers: Callable[[str], bool] = x_server_answers,
    check_server: bool = True,
) -> str | None:
    """One line saying there is no display to open the window on, and what works instead;
    None when there is one, off Linux, or when Qt is asked for a platform that needs none
    (``QT_QPA_PLATFORM=offscreen``, as the tests run). ``check_server`` False: only the
    variables are looked at, not the X server."""
    if not platform.startswith("linux"):
        return None
    environ = os.environ if environ is None else environ
    asked = asked_platform(environ)
    if asked and asked != "xcb" and not asked.startswith("wayland"):
        return None  # offscreen, minimal, eglfs, vnc...: no display server needed
    display, wayland = environ.get("DISPLAY", ""), environ.get("WAYLAND_DISPLAY", "")
    if asked.startswith("wayland"):
        display = ""
    elif asked == "xcb":
        wayland = ""
    if not display and not wayland:
        unset = "WAYLAND_DISPLAY is" if asked.startswith("wayland") else "DISPLAY is"
        if not asked:
            unset = "DISPLAY and WAYLAND_DISPLAY are"
        why = f"there is no display ({unset} not set)"
    elif check_server and uses_xcb(environ) and not answers(display):
        why = f"there is no display (cannot connect to an X server at DISPLAY={display})"
    else:
        return None
    return f"{why}, so the window cannot open here; the terminal commands need none: {TERMINAL}"


def startup_problem(
    environ: Mapping[str, str] | None = None,
    platform: str = sys.platform,
    load: Callable[[str], bool] = can_load,
    answers: Callable[[str], bool] = x_server_answers,
) -> str | None:
    """Why Qt cannot start here, in one line: no display, a library missing (which packages
    to install), or an X server that does not answer; None when it can start."""
    return (
        display_problem(environ, platform, answers, check_server=False)
        or problem(environ, platform, load)
        or display_problem(environ, platform, answers)
    )


def exit_if_qt_cannot_start() -> None:
    """Print the one line and exit 1 when there is no display or a library is missing; call
    before importing Qt."""
    message = startup_problem()
    if message:
        print(f"clipdesk: error: {message}", file=sys.stderr)
        raise SystemExit(1)
