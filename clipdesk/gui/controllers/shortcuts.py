"""Keyboard shortcuts that act while the focus is anywhere within one page or panel."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget


def add_shortcut(
    host: QWidget, keys: Sequence[str | QKeySequence.StandardKey], slot: Callable, text: str = ""
) -> QAction:
    """An action on ``host`` that runs ``slot`` on any of ``keys`` while the focus is in
    ``host`` or one of its children (so pages do not steal each other's keys)."""
    action = QAction(text, host)
    action.setShortcuts([QKeySequence(k) for k in keys])
    action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    action.triggered.connect(slot)
    host.addAction(action)
    return action
