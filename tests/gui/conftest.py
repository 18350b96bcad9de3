"""GUI fixtures: real windows over real catalogs with the test model, and a guard that fails
any test leaving a thread, a QThread, a thread-pool task or a timer running."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QThread, QThreadPool, QTimer  # noqa: E402
from shiboken6 import isValid  # noqa: E402

SHAPES_VOCAB = Path(__file__).parents[1] / "data" / "shapes_vocabulary.yaml"


def _refuse_a_broken_pyside() -> None:
    from clipdesk.gui.app import pyside_problem

    problem = pyside_problem()
    if problem:  # the tests would abort the interpreter part-way: say why, up front
        raise pytest.UsageError(problem)


_refuse_a_broken_pyside()


class LeakTracker:
    """Records every QTimer, QThread and QThreadPool started during a test."""

    def __init__(self, qapp):
        self.qapp = qapp
        self.timers: list[QTimer] = []
        self.qthreads: list[QThread] = []
        self.pools: list[QThreadPool] = []
        self.pending_single_shots = 0
        self.before = set(threading.enumerate())

    def problems(self) -> list[str]:
        """What is still running, in words; empty when everything stopped."""
        self.qapp.processEvents()
        out = []
        global_pool = QThreadPool.globalInstance()
        global_pool.waitForDone(5000)
        if global_pool.activeThreadCount():
            out.append(f"{global_pool.activeThreadCount()} global thread-pool tasks running")
        busy = [p for p in self.pools if isValid(p) and p.activeThreadCount()]
        if busy:
            out.append(f"{len(busy)} thread pools still running tasks")
        running = [t for t in self.qthreads if isValid(t) and t.isRunning()]
        if running:
            out.append(f"QThreads still running: {running}")
        active = [t for t in self.timers if isValid(t) and t.isActive()]
        if active:
            out.append(f"QTimers still active, owned by {[t.parent() for t in active]}")
        if self.pending_single_shots > 0:
            out.append(f"{self.pending_single_shots} QTimer.singleShot calls never fired")
        left = [
            t
            for t in threading.enumerate()
            if t not in self.before and t.is_alive() and not isinstance(t, threading._DummyThread)
        ]
        if left:
            out.append(f"threads still running: {[t.name for t in left]}")
        return out


@pytest.fixture(autouse=True)
def nothing_left_running(qapp, monkeypatch):
    """Fail the test if it leaves a thread, QThread, pool task or QTimer running (napari's idea:
    "QThread: Destroyed while thread is still running" is a crash waiting to happen)."""
    tracker = LeakTracker(qapp)
    start_timer, start_thread, start_pool = QTimer.start, QThread.start, QThreadPool.start
    single_shot = QTimer.singleShot

    def timer_start(self, *args):
        tracker.timers.append(self)
        return start_timer(self, *args)

    def thread_start(self, *args):
        tracker.qthreads.append(self)
        return start_thread(self, *args)

    def pool_start(self, *args):
        tracker.pools.append(self)
        return start_pool(self, *args)

    def tracked_single_shot(msec, *args):
        if len(args) == 1 and callable(args[0]):
            tracker.pending_single_shots += 1
            fn = args[0]

            def fire():
                tracker.pending_single_shots -= 1
                fn()

            return single_shot(msec, fire)
        return single_shot(msec, *args)

    monkeypatch.setattr(QTimer, "start", timer_start)
    monkeypatch.setattr(QThread, "start", thread_start)
    monkeypatch.setattr(QThreadPool, "start", pool_start)
    monkeypatch.setattr(QTimer, "singleShot", staticmethod(tracked_single_shot))
    yield tracker
    problems = tracker.problems()
    assert not problems, "; ".join(problems)


@pytest.fixture(scope="session")
def indexed_template(tmp_path_factory, onnx_cache, shapes_dir) -> tuple[Path, Path]:
    """A home whose catalog holds the 36 shapes, embedded and tagged with the shapes
    vocabulary (the default one is not seeded). Built once; copy it with ``library_home``."""
    from clipdesk.catalog import Catalog
    from clipdesk.home import app_paths
    from clipdesk.ops.folders import add_folders
    from clipdesk.pipeline import steps
    from clipdesk.pipeline.library import Library
    from clipdesk.tagging.store import TagStore

    root = tmp_path_factory.mktemp("template")
    photos = root / "photos"
    shutil.copytree(shapes_dir, photos)
    home = root / "home"
    (home / "cache").mkdir(parents=True)
    (home / "cache" / "onnx").symlink_to(onnx_cache)
    with Catalog(app_paths(home).catalog) as catalog:  # before the library seeds its own
        store = TagStore(catalog)
        store.import_file(SHAPES_VOCAB)
        store.seed_default()  # marks the catalog seeded: the shapes vocabulary stays alone
    lib = Library(home, model="test", backend="onnx")
    try:
        lib.remember_engine()
        store = TagStore(lib.catalog)
        add_folders(lib, [photos])
        steps.index(lib)
    finally:
        lib.close()
    return home, photos


@pytest.fixture
def library_home(home, shapes, indexed_template) -> Path:
    """``home`` with a copy of the indexed catalog, pointing at this test's own ``shapes``."""
    template, template_photos = indexed_template
    for part in ("data", "config"):
        shutil.copytree(template / part, home / part)
    shutil.copytree(template / "cache" / "thumbnails", home / "cache" / "thumbnails")
    conn = sqlite3.connect(home / "data" / "catalog.sqlite3")
    old, new = str(template_photos), str(shapes)
    conn.execute("UPDATE folders SET path = replace(path, ?, ?)", (old, new))
    conn.execute("UPDATE photos SET path = replace(path, ?, ?)", (old, new))
    conn.commit()
    conn.close()
    return home


@pytest.fixture
def open_window(qtbot):
    """Open a real ClipDesk window (test model, ONNX) and close it cleanly after the test."""
    from clipdesk.gui.app import create_window

    windows = []

    def open_(home: Path, watch: bool = False):
        window = create_window(home, model="test", backend="onnx", watch=watch)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitActive(window)  # shortcuts only reach an active window
        windows.append(window)
        return window

    yield open_
    for w in windows:
        if w.isVisible() or w.session.bridge.running:
            w.close()
