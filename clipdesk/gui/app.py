"""Start the desktop application: ``clipdesk`` with no command.

The window shows before torch or any model is imported: the worker starts once the window is
on screen, and loads the model in its own thread when there is something to embed.
"""

from __future__ import annotations

import argparse
import sys

from clipdesk.gui.system_check import exit_if_qt_cannot_start

exit_if_qt_cannot_start()  # before Qt loads: one line naming the packages, not Qt's abort

import PySide6
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication

from clipdesk import __version__
from clipdesk.gui.adapters.session import Session
from clipdesk.gui.adapters.worker_bridge import preload_worker_modules
from clipdesk.gui.main_window import MainWindow


def pyside_problem() -> str | None:
    """Why this PySide6 cannot run ClipDesk on this Python, or None when it can.

    PySide6 6.12.0 returns None (and an emitted signal's True) without taking a reference:
    harmless on Python 3.12+, where those objects are immortal, but on 3.11 every call of a
    void Qt method loses a reference to None and the interpreter aborts after a while
    ("Fatal Python error: none_dealloc"). Measured here rather than assumed from versions.
    """
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(64):
        probe.setObjectName("probe")
    lost = before - sys.getrefcount(None)
    if lost < 32:
        return None
    return (
        f"PySide6 {PySide6.__version__} loses a reference to None on every Qt call under "
        f"Python {sys.version.split()[0]}, which crashes the app after a while. Install "
        "PySide6-Essentials 6.11 (pip install 'PySide6-Essentials<6.12') or use Python 3.12+."
    )


def application(argv: list[str] | None = None) -> QApplication:
    """The QApplication (the existing one when there is one, as under pytest-qt)."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("ClipDesk")
    app.setOrganizationName("ClipDesk")
    app.setApplicationVersion(__version__)
    return app  # type: ignore[return-value]


def create_window(home=None, model=None, backend=None, int8=None, watch=True) -> MainWindow:
    """A window over the catalog under ``home`` (default: platformdirs or $CLIPDESK_HOME)."""
    preload_worker_modules()  # beside the window's construction, not in its event loop
    return MainWindow(Session.create(home, model, backend, int8, watch=watch))


def run(args: argparse.Namespace | None = None) -> int:
    """Show the window and run the event loop until it closes; the exit status."""
    problem = pyside_problem()
    if problem:
        print(f"clipdesk: error: {problem}", file=sys.stderr)
        return 1
    app = application()
    window = create_window(
        getattr(args, "home", None),
        getattr(args, "model", None),
        getattr(args, "backend", None),
        getattr(args, "int8", None),
    )
    window.show()
    return app.exec()
