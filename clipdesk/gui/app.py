"""Start the desktop application: ``clipdesk`` with no command.

The window shows before torch or any model is imported: the worker starts once the window is
on screen, and loads the model in its own thread when there is something to embed.
"""

from __future__ import annotations

import argparse
import sys

from PySide6.QtWidgets import QApplication

from clipdesk import __version__
from clipdesk.gui.main_window import MainWindow
from clipdesk.gui.session import Session


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
    return MainWindow(Session.create(home, model, backend, int8, watch=watch))


def run(args: argparse.Namespace | None = None) -> int:
    """Show the window and run the event loop until it closes; the exit status."""
    app = application()
    window = create_window(
        getattr(args, "home", None),
        getattr(args, "model", None),
        getattr(args, "backend", None),
        getattr(args, "int8", None),
    )
    window.show()
    return app.exec()
