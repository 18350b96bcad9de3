"""The pieces on their own: the leak guard, the status bar, the paging grid model, settings."""

from __future__ import annotations

import threading
import time

import numpy as np
from PySide6.QtCore import QItemSelectionModel, Qt, QThreadPool, QTimer

from clipdesk.catalog import Catalog, browse
from clipdesk.gui.adapters.grid_model import PAGE, PhotoGridModel
from clipdesk.gui.adapters.model_choices import CHOICES
from clipdesk.gui.adapters.thumbnails import ThumbnailLoader
from clipdesk.gui.views.grid_view import PhotoGrid
from clipdesk.gui.views.settings_dialog import SettingsDialog
from clipdesk.gui.views.status_bar import StatusBar, duration, progress_text
from clipdesk.settings import Settings
from clipdesk.worker import WorkerProgress


def test_the_guard_sees_timers_threads_and_pool_tasks(nothing_left_running):
    tracker = nothing_left_running
    timer = QTimer()
    timer.start(1000)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="left-behind")
    thread.start()
    pool = QThreadPool()
    pool.start(lambda: time.sleep(0.3))
    found = " ".join(tracker.problems())
    assert "QTimers still active" in found and "left-behind" in found
    timer.stop()
    stop.set()
    thread.join()
    pool.waitForDone()
    assert tracker.problems() == []


def test_progress_reads_like_a_sentence():
    p = WorkerProgress("embed", 1200, 10_000, 45.3, 200.0)
    assert progress_text(p) == "Tagging: 1,200 of 10,000 · 45.3 photos/s · about 3 min left"
    paused = WorkerProgress("embed", 1200, 10_000, 0.0, None, paused=True)
    assert progress_text(paused) == "Tagging: 1,200 of 10,000 · paused"
    assert [duration(s) for s in (None, 40, 90, 7300)] == ["", "40 s", "2 min", "2 h 1 min"]


def test_pause_button_pauses_the_worker(library_home, open_window, qtbot):
    window = open_window(library_home)
    qtbot.waitUntil(lambda: window.session.bridge.running, timeout=10_000)
    bar: StatusBar = window.status
    bar.show_progress(WorkerProgress("embed", 3, 36, 2.0, 16.5))
    assert bar.pause_button.isEnabled() and bar.bar.isVisible()
    assert bar.progress_label.text().startswith("Tagging: 3 of 36")
    qtbot.mouseClick(bar.pause_button, Qt.MouseButton.LeftButton)
    assert window.session.bridge.status()["paused"] and bar.pause_button.text() == "Resume"
    qtbot.mouseClick(bar.pause_button, Qt.MouseButton.LeftButton)
    assert not window.session.bridge.status()["paused"]


def _fake_catalog(path, n: int) -> Catalog:
    cat = Catalog(path)
    folder = cat.add_folder("/photos")
    with cat.transaction() as conn:
        conn.executemany(
            "INSERT INTO photos(folder_id, path, size, mtime_ns, hash, status, updated_at) "
            "VALUES (?, ?, 1, 1, ?, 'indexed', 0)",
            [(folder, f"/photos/{i:06d}.jpg", f"{i:032x}") for i in range(n)],
        )
    return cat


def test_grid_model_pages_rows_in_and_keeps_the_selection(tmp_path, qtbot):
    writer = _fake_catalog(tmp_path / "cat.sqlite3", 20_000)
    reader = Catalog(tmp_path / "cat.sqlite3", readonly=True)
    thumbs = ThumbnailLoader(tmp_path / "thumbs")
    model = PhotoGridModel(lambda: reader, thumbs)
    grid = PhotoGrid(model)
    qtbot.addWidget(grid)
    ids = browse.photo_ids(reader)
    grid.set_photos(ids)
    assert model.rowCount() == 20_000
    assert model.data(model.index(12_345)) == "012345.jpg"
    assert len(model._pages) == 1 and 12_345 // PAGE in model._pages
    grid.selectionModel().select(model.index(10), QItemSelectionModel.SelectionFlag.Select)
    grid.set_photos(ids[::-1].copy())  # same photos, new order: the selection follows
    assert grid.selected_ids() == [int(ids[10])]
    assert grid.selectionModel().selectedIndexes()[0].row() == 20_000 - 11
    grid.set_photos(np.concatenate([ids, [10**9]]))  # a new photo: one row inserted
    assert grid.selected_ids() == [int(ids[10])]
    thumbs.close()
    reader.close()
    writer.close()


def test_settings_offer_models_with_sizes_and_keep_the_current_one(qtbot):
    dialog = SettingsDialog(Settings(model="test", backend="onnx", int8=True), [])
    qtbot.addWidget(dialog)
    labels = [dialog.model.itemText(i) for i in range(dialog.model.count())]
    assert len(labels) == len(CHOICES)  # the test model is one of them, always offered
    assert "605 MB download" in labels[0] and "recommended" in labels[0]
    assert dialog.model.currentData() == "test" and "no download" in labels[-1]
    dialog.model.setCurrentIndex(0)
    dialog.backend.setCurrentIndex(dialog.backend.findData("auto"))
    result = dialog.result_settings()
    assert (result.model, result.backend, result.int8) == (CHOICES[0].name, "auto", True)
