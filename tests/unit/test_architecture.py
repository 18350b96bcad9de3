"""The core never imports Qt: only clipdesk/gui/ may (DESIGN.md's one hard rule), and SQL
stays in the catalog and tagging packages. Read from the source."""

from __future__ import annotations

import ast

from tests.support.source_imports import PACKAGE, imports_outside

QT = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "qtpy")


def test_only_gui_imports_qt():
    offenders = imports_outside("gui", QT)
    assert not offenders, offenders


def test_sql_lives_in_the_catalog_tagging_people_and_places_only():
    """The CLI, the GUI, the worker and the actions ask the catalog; they hold no SQL. The
    data packages do: catalog, tagging (tags and their states), people (faces) and places
    (positions and the places they resolved to)."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.relative_to(PACKAGE).parts[0] in ("catalog", "tagging", "people", "places"):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("execute", "executemany", "executescript")
            ):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not offenders, offenders
