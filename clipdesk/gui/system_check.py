"""Before Qt starts on Linux: are the system libraries its X11 (xcb) platform needs there?

Without them Qt aborts (exit 134) with a message that names the wrong library. This module
imports no Qt: it tries to load each library with ctypes and, when any is missing, says
which packages to install, in one line. The list is what PySide6's ``libqxcb.so``,
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


def uses_xcb(environ: Mapping[str, str]) -> bool:
    """Whether Qt will start its X11 platform: asked for, or the default on an X11 session."""
    asked = environ.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
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


def exit_if_qt_cannot_start() -> None:
    """Print the one line and exit 1 when a library is missing; call before importing Qt."""
    message = problem()
    if message:
        print(f"clipdesk: error: {message}", file=sys.stderr)
        raise SystemExit(1)
