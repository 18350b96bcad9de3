"""The unit folder stays fast: its tests load no model, start no process and open no window
(tests/unit/conftest.py refuses those while they run; this reads their source, and checks
that the refusals work)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.unit_boundary import UnitTestBoundary

UNIT = Path(__file__).parent
TESTS = UNIT.parent
NOT_IMPORTED = ("PySide6", "shiboken6", "pytestqt", "subprocess", "multiprocessing")
NOT_ASKED_FOR = {"embedder", "onnx_cache", "home", "qtbot", "qapp"}


def _offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module]
        found += [f"imports {n}" for n in names if n.split(".")[0] in NOT_IMPORTED]
        if isinstance(node, ast.Name) and node.id == "load_embedder":
            found.append("calls load_embedder")
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            asked = {a.arg for a in node.args.args} & NOT_ASKED_FOR
            found += [f"{node.name} asks for {a}" for a in sorted(asked)]
    return [f"{path.name}:{getattr(node, 'lineno', 0)} {f}" for f in found]


def test_unit_test_modules_import_no_qt_nor_processes_and_ask_for_no_model():
    modules = sorted(p for p in UNIT.glob("test_*.py") if p.name != Path(__file__).name)
    assert len(modules) > 20
    offences = [o for p in modules for o in _offences(p)]
    assert not offences, offences


def test_test_modules_import_only_the_support_package():
    """Helpers two test modules share live in tests/support/; a test module never imports
    another one (nor a conftest: fixtures come by name)."""
    offences = []
    for path in sorted(TESTS.rglob("*.py")):
        if "support" in path.relative_to(TESTS).parts[:1] or "data" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = ["(a relative import)"]
            bad = [n for n in names if n.split(".")[0] == "tests" or n.startswith("(")]
            bad = [n for n in bad if not n.startswith("tests.support")]
            offences += [f"{path.relative_to(TESTS)}:{node.lineno} {n}" for n in bad]
    assert not offences, offences


def test_a_process_a_model_and_qt_are_refused_while_a_unit_test_runs(stays_a_unit_test):
    import clipdesk.embedding
    import clipdesk.pipeline.library

    refused = [
        lambda: subprocess.run([sys.executable, "-c", "pass"]),
        lambda: os.system("true"),
        lambda: __import__("PySide6.QtWidgets"),
        lambda: clipdesk.embedding.load_embedder("test"),
        lambda: clipdesk.pipeline.library.load_embedder("test"),  # imported there by name
    ]
    for call in refused:
        with pytest.raises(UnitTestBoundary, match="belongs in tests/integration/"):
            call()
    assert stays_a_unit_test.breaches == [
        "started a process",
        "called os.system",
        "imported PySide6.QtWidgets",
        "loaded a model (load_embedder)",
        "loaded a model (load_embedder)",
    ]
    stays_a_unit_test.breaches.clear()  # refused as they should be: this test passes
