"""The photo grid's columns span its whole width, as in Lightroom's and digiKam's grids: no
empty band at the right, whatever the window's width and the thumbnail size."""

from __future__ import annotations

import contextlib

import pytest
from pytestqt.exceptions import TimeoutError as WaitTimeout

from tests.support.gui import wait_rows


def first_row(grid):
    """The visual rectangles of the cells in the grid's first row, left to right."""
    model = grid.model()
    rects = [grid.visualRect(model.index(r)) for r in range(model.rowCount())]
    return [r for r in rects if r.top() == rects[0].top()]


def right_gap(grid) -> int:
    """Pixels between the last cell of the first row and the viewport's right edge."""
    return grid.viewport().rect().right() - first_row(grid)[-1].right()


@pytest.mark.parametrize("width", [1100, 1700])
def test_the_columns_fill_the_grid_at_each_width_and_size(library_home, open_window, qtbot, width):
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    window.resize(width, 760)
    grid = window.library_page.grid
    for size in (120, 220):
        window.library_page.search.size_slider.setValue(size)
        qtbot.waitUntil(lambda s=size: first_row(grid)[0].width() >= s, timeout=5_000)
        with contextlib.suppress(WaitTimeout):  # the layout is delayed; the asserts say why
            qtbot.waitUntil(
                lambda s=size: right_gap(grid) < first_row(grid)[0].width() - s, timeout=5_000
            )
        cells = first_row(grid)
        # The gutter between two thumbnails is the cell's width less the thumbnail's.
        gutter = cells[0].width() - size
        assert len(cells) >= 2, f"{width} px, size {size}: one column"
        assert all(c.width() >= size for c in cells)
        assert 0 <= right_gap(grid) < gutter, (
            f"{width} px, size {size}: {len(cells)} columns of {cells[0].width()} px leave "
            f"{right_gap(grid)} px of a {grid.viewport().width()} px grid empty"
        )
        # A search that leaves a few photos (nothing to scroll) keeps the columns where they were.
        viewport = grid.viewport().width()
        window.library_page.search.field.setText("red circle")
        window.library_page.search.field.returnPressed.emit()
        qtbot.waitUntil(lambda: window.library_page.model.rowCount() < 36, timeout=30_000)
        assert grid.viewport().width() == viewport
        window.library_page.search.clear()
        wait_rows(qtbot, window, 36)
