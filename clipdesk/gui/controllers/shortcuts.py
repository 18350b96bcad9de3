"""Keyboard shortcuts that act while the focus is anywhere within one page or panel."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

# Help > Keyboard shortcuts.
HELP = """<table>
<tr><td><b>A</b> / <b>R</b></td><td>accept / reject the focused suggestion</td></tr>
<tr><td><b>[ ]</b>, <b>↑ ↓</b></td><td>choose the suggestion (↑ ↓ in the large view)</td></tr>
<tr><td><b>← →</b></td><td>previous / next photo</td></tr>
<tr><td><b>T</b></td><td>add a tag (with completion)</td></tr>
<tr><td><b>0</b>–<b>5</b></td><td>stars on the selected photos</td></tr>
<tr><td><b>6 7 8 9</b></td><td>red, yellow, green, blue label (again: off)</td></tr>
<tr><td><b>P</b> / <b>X</b> / <b>U</b></td><td>pick / reject / unflag</td></tr>
<tr><td><b>Ctrl+Z</b></td><td>undo the last decision or marks</td></tr>
<tr><td><b>Enter</b> / <b>Esc</b></td><td>large photo view / back to the grid</td></tr>
<tr><td><b>Ctrl+F</b></td><td>search</td></tr>
<tr><td>Review: <b>Y</b> / <b>N</b> / <b>S</b></td><td>yes / no / skip</td></tr>
<tr><td>People: <b>A</b> / <b>R</b>, <b>F2</b></td><td>confirm / not this person, name</td></tr>
<tr><td>People: <b>Space</b>, <b>← →</b></td><td>review a person's suggested faces</td></tr>
</table>"""


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
