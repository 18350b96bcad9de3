"""Unit tests load no model, start no process and open no window, so that they all run in
about a minute: tests/integration/ has the model and the processes, tests/gui/ the windows.

This file keeps the folder honest. While a unit test module is imported and while a unit
test runs, starting a process (subprocess, fork, spawn, system), loading a model
(``load_embedder``) or importing Qt (PySide6, shiboken6, pytest-qt) raises, and the test
fails even when the code under test caught the error; the fixtures that stand for those
things (``embedder``, ``onnx_cache`` and so ``home``, ``qtbot``, ``qapp``) fail the test
that asks for one. A run of tests/unit alone also fails if Qt modules were loaded beyond
the ones pytest-qt loads at start (tests/unit/test_unit_boundaries.py checks the sources).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.support.unit_boundary import ELSEWHERE, QT, Boundary

UNIT = Path(__file__).parent
QT_AT_START: set[str] = set()


def pytest_sessionstart(session):
    # pytest-qt imports the Qt binding when pytest starts, whatever runs: not the tests' doing.
    QT_AT_START.update(m for m in sys.modules if m.split(".")[0] in QT)


def _real_load_embedder():
    import clipdesk.embedding.backends as backends

    return backends.load_embedder


def _modules_holding(fn) -> list:
    """The clipdesk modules that hold ``fn`` under the name ``load_embedder`` (imported by
    name, so patching the one in clipdesk.embedding would not reach them)."""
    return [
        m
        for name, m in list(sys.modules.items())
        if name.split(".")[0] == "clipdesk" and getattr(m, "load_embedder", None) is fn
    ]


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    """Importing a unit test module starts nothing and imports no Qt either."""
    if not (isinstance(collector, pytest.Module) and UNIT in collector.path.parents):
        return (yield)
    boundary, mp = Boundary(), pytest.MonkeyPatch()
    boundary.install(mp)
    try:
        report = yield
    finally:
        mp.undo()
    if boundary.breaches:
        report.outcome = "failed"
        report.longrepr = f"{collector.path}: " + ELSEWHERE.format(", ".join(boundary.breaches))
    return report


@pytest.fixture(autouse=True)
def stays_a_unit_test(monkeypatch):
    """Fail the test if it starts a process, loads a model, imports Qt or makes a Qt
    application (see the module docstring)."""
    boundary = Boundary()
    real = _real_load_embedder()
    refused = boundary.refuse("loaded a model (load_embedder)")
    for module in _modules_holding(real):
        monkeypatch.setattr(module, "load_embedder", refused)
    qt_widgets = sys.modules.get("PySide6.QtWidgets")
    had_app = bool(qt_widgets and qt_widgets.QApplication.instance())
    boundary.install(monkeypatch)
    yield boundary
    monkeypatch.undo()
    for module in _modules_holding(refused):  # imported during the test, bound to ours
        module.load_embedder = real
    if not had_app and qt_widgets and qt_widgets.QApplication.instance():
        boundary.breaches.append("made a Qt application")
    boundary.check()


@pytest.fixture
def embedder():
    pytest.fail(ELSEWHERE.format("asked for the test model (embedder)"), False)


@pytest.fixture
def onnx_cache():
    pytest.fail(ELSEWHERE.format("asked for the test model's ONNX cache (onnx_cache, home)"), False)


@pytest.fixture
def qtbot():
    pytest.fail(ELSEWHERE.format("asked for a window (qtbot)"), False)


@pytest.fixture
def qapp():
    pytest.fail(ELSEWHERE.format("asked for a Qt application (qapp)"), False)


def _only_unit_tests_collected(config) -> bool:
    here = config.invocation_params.dir
    paths = [Path(here, arg.split("::")[0]).resolve() for arg in config.args]
    return bool(paths) and all(p == UNIT or UNIT in p.parents for p in paths)


def pytest_sessionfinish(session, exitstatus):
    """A run of tests/unit alone loaded no Qt module beyond what pytest-qt loads at start
    (a run that collects tests/gui too loads Qt there, and rightly)."""
    if not _only_unit_tests_collected(session.config):
        return
    loaded = sorted({m for m in sys.modules if m.split(".")[0] in QT} - QT_AT_START)
    if loaded:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write_line(ELSEWHERE.format(f"loaded Qt modules {loaded[:5]}"), red=True)
