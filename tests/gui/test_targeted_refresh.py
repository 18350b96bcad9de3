"""The window refreshes what a worker report says changed, and only that: a new photo is a
row inserted (the selection stays), a thumbnail or a tag on one photo redraws that photo's
cell (and its chips, when it is the one shown), and none of them lists the library again."""

from __future__ import annotations

import shutil

import numpy as np
from PySide6.QtCore import QItemSelectionModel

from clipdesk.catalog import Catalog, browse
from clipdesk.gui.adapters.grid_model import PAGE, PhotoGridModel
from clipdesk.gui.adapters.thumbnails import ThumbnailLoader
from clipdesk.gui.controllers.browse_controller import SETTLE_MS
from clipdesk.gui.views.grid_view import PhotoGrid
from clipdesk.home import app_paths
from clipdesk.tagging import corrections
from clipdesk.tagging.states import TagState
from clipdesk.tagging.store import TagStore
from clipdesk.worker.events import EventKind, WorkerEvent
from tests.support.gui import WAIT, chips, names, select, wait_idle, wait_rows


class ModelSpy:
    """What a grid model told its views: resets, row insertions, and the rows redrawn."""

    def __init__(self, model: PhotoGridModel):
        self.resets = self.layouts = 0
        self.inserted: list[tuple[int, int]] = []
        self.redrawn: set[int] = set()
        model.modelReset.connect(self._reset)
        model.layoutChanged.connect(self._layout)
        model.rowsInserted.connect(lambda _p, first, last: self.inserted.append((first, last)))
        model.dataChanged.connect(
            lambda top, bottom, *_: self.redrawn.update(range(top.row(), bottom.row() + 1))
        )

    def _reset(self) -> None:
        self.resets += 1

    def _layout(self) -> None:
        self.layouts += 1


def _settled(qtbot, window) -> tuple[ModelSpy, list[int]]:
    """Once the window has caught up with the worker: a spy on the grid, and a list that
    counts the times the library is listed again."""
    wait_idle(qtbot, window)
    qtbot.wait(3 * SETTLE_MS)  # the catch-up that idle asked for, and its reads
    listed: list[int] = []
    browse_controller = window.browse_controller
    real_list = browse_controller._list
    browse_controller._list = lambda: (listed.append(1), real_list())
    return ModelSpy(window.library_page.model), listed


def _report(window, kind: EventKind, photo_ids=(), tag_ids=()) -> None:
    window.session.bridge.event.emit(WorkerEvent(kind, tuple(photo_ids), tuple(tag_ids)))


def test_a_new_photo_is_inserted_and_the_selection_stays(library_home, shapes, open_window, qtbot):
    window = open_window(library_home, watch=False)
    wait_rows(qtbot, window, 36)
    chosen = select(qtbot, window, "blue_square.jpg")
    picked = window.library_page.grid.selected_ids()
    spy, listed = _settled(qtbot, window)
    first = sorted(shapes.glob("*.jpg"))[0]
    shutil.copy(first, shapes / f"{first.stem}_copy.jpg")  # sorts second
    window.session.bridge.request_index()

    wait_rows(qtbot, window, 37)
    assert names(window)[1] == f"{first.stem}_copy.jpg"
    assert spy.resets == 0 and spy.layouts == 0
    assert spy.inserted == [(1, 1)]
    assert window.library_page.grid.selected_ids() == picked  # the same photo, one row on
    assert window.library_page.grid.currentIndex().row() == chosen + 1
    assert listed  # the list was read again (once the notices paused), and spliced in


def test_a_thumbnail_or_tags_for_one_photo_redraw_only_its_cell(library_home, open_window, qtbot):
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    model = window.library_page.model
    shown_row = select(qtbot, window, "green_triangle.jpg")
    other_row = next(i for i, n in enumerate(names(window)) if n.endswith("red_circle.jpg"))
    shown_id, other_id = model.photo_id(shown_row), model.photo_id(other_row)
    qtbot.waitUntil(lambda: bool(chips(window)), timeout=WAIT)
    spy, listed = _settled(qtbot, window)
    chip_reads: list[int] = []
    tagging = window.tagging_controller
    real_chips = tagging.refresh_chips
    tagging.refresh_chips = lambda *a: (chip_reads.append(1), real_chips(*a))

    _report(window, EventKind.THUMBNAILS_READY, [other_id])
    assert spy.redrawn == {other_row}
    _report(window, EventKind.TAGS_CHANGED, [other_id])  # not the photo shown
    assert spy.redrawn == {other_row} and not chip_reads
    qtbot.wait(3 * SETTLE_MS)  # what the notices left for later: the tag tree's counts
    assert spy.resets == 0 and spy.layouts == 0 and not listed
    assert window.library_page.grid.selected_ids() == [shown_id]

    # A tag on the shown photo, decided elsewhere: its chips and its cell follow at once.
    with Catalog(app_paths(library_home).catalog) as catalog:
        tag = next(t for t in TagStore(catalog).all() if t.name == "green")
        corrections.decide(catalog, [shown_id], tag.id, TagState.REJECTED)
    _report(window, EventKind.TAGS_CHANGED, [shown_id], [tag.id])
    assert chips(window)["green"] == TagState.REJECTED and chip_reads == [1]
    assert spy.redrawn == {other_row, shown_row}


def test_the_grid_model_splices_rows_and_redraws_only_rows_read(tmp_path, qtbot):
    writer = Catalog(tmp_path / "cat.sqlite3")
    folder = writer.add_folder("/photos")
    with writer.transaction() as conn:
        conn.executemany(
            "INSERT INTO photos(folder_id, path, size, mtime_ns, hash, status, updated_at) "
            "VALUES (?, ?, 1, 1, ?, 'indexed', 0)",
            [(folder, f"/photos/{i:06d}.jpg", f"{i:032x}") for i in range(50_000)],
        )
    reader = Catalog(tmp_path / "cat.sqlite3", readonly=True)
    thumbs = ThumbnailLoader(tmp_path / "thumbs")
    model = PhotoGridModel(lambda: reader, thumbs)
    grid = PhotoGrid(model)
    qtbot.addWidget(grid)
    ids = browse.photo_ids(reader)
    grid.set_photos(ids[::2].copy())  # every other photo
    spy = ModelSpy(model)
    grid.selectionModel().select(model.index(20_000), QItemSelectionModel.SelectionFlag.Select)
    picked = grid.selected_ids()
    assert model.data(model.index(20_001)) == "040002.jpg"  # reads that row's page

    model.refresh()  # "the catalog changed": only the page read is redrawn, not 25,000 rows
    page = 20_001 // PAGE
    assert spy.redrawn == set(range(page * PAGE, (page + 1) * PAGE))
    spy.redrawn.clear()
    assert model.data(model.index(20_001)) == "040002.jpg"  # drawn again, so read again
    model.refresh([int(ids[2]), int(ids[40_002])])  # one row never read, one read
    assert spy.redrawn == {20_001}

    grid.set_photos(ids)  # the other half arrives: 25,000 single rows is too many runs
    assert spy.resets == 1 and grid.selected_ids() == picked
    grid.set_photos(np.delete(ids, [10, 11, 30_000]))  # two runs out
    grid.set_photos(ids)  # and back in
    assert spy.resets == 1 and spy.inserted == [(10, 11), (30_000, 30_000)]
    assert grid.selected_ids() == picked
    thumbs.close()
    reader.close()
    writer.close()
