"""Keyboard shortcuts that act while the focus is anywhere within one page or panel."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

# Help > Keyboard shortcuts: every key the window binds (tests/gui/test_cues.py checks).
HELP = """<table cellspacing="0" cellpadding="2">
<tr><th colspan=2 align=left>Anywhere</th></tr>
<tr><td><b>Ctrl+1</b> … <b>Ctrl+5</b></td>
<td>Library, Review, Vocabulary, Duplicates, People</td></tr>
<tr><td><b>Ctrl+O</b></td><td>add a folder</td></tr>
<tr><td><b>Ctrl+E</b></td><td>export sidecars</td></tr>
<tr><td><b>Ctrl+,</b></td><td>settings</td></tr>
<tr><th colspan=2 align=left><br>Library: the grid and the large view</th></tr>
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
<tr><th colspan=2 align=left><br>Review</th></tr>
<tr><td><b>Y</b> / <b>N</b> / <b>S</b></td><td>yes / no / skip</td></tr>
<tr><th colspan=2 align=left><br>Duplicates</th></tr>
<tr><td><b>K</b> / <b>R</b> / <b>S</b></td>
<td>keep this one / reject the others / next group</td></tr>
<tr><th colspan=2 align=left><br>People</th></tr>
<tr><td><b>A</b> / <b>R</b>, <b>F2</b></td><td>confirm / not this person, name</td></tr>
<tr><td><b>Space</b>, <b>← →</b></td><td>review a person's suggested faces</td></tr>
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
