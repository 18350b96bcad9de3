"""The core never imports Qt: only clipdesk/gui/ may (DESIGN.md's one hard rule)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "clipdesk"
QT = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "qtpy")


def imports_outside(allowed: str, packages: tuple[str, ...]) -> list[str]:
    """Where a module of clipdesk outside its subpackage ``allowed`` imports one of
    ``packages`` ("path:line name")."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.relative_to(PACKAGE).parts[0] == allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path}:{node.lineno} {n}" for n in names if n.split(".")[0] in packages]
    return offenders


def test_only_gui_imports_qt():
    offenders = imports_outside("gui", QT)
    assert not offenders, offenders


def test_sql_lives_in_the_catalog_and_tagging_only():
    """The CLI, the GUI, the worker and the actions ask the catalog; they hold no SQL."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.relative_to(PACKAGE).parts[0] in ("catalog", "tagging"):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("execute", "executemany", "executescript")
            ):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not offenders, offenders


def test_core_imports_without_qt_loaded():
    import subprocess
    import sys

    code = (
        "import sys, clipdesk.cli, clipdesk.indexer, clipdesk.search, clipdesk.library;"
        "assert not any(m.split('.')[0] in ('PySide6', 'shiboken6') for m in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
