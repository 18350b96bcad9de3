"""The status bar at rest says "Up to date" only when no photo waits to be tagged: else how
many wait, and why when a background job failed or a model is missing."""

from __future__ import annotations

from clipdesk.gui.views.status_bar import StatusBar
from clipdesk.progress import Phase, Progress


def test_photos_that_wait_are_never_up_to_date(qtbot):
    bar = StatusBar()
    qtbot.addWidget(bar)
    bar.set_counts({"new": 3, "indexed": 10, "missing": 0, "failed": 0})
    bar.show_progress(Progress(Phase.IDLE, 0, 0))
    assert bar.progress_label.text() == "3 photos wait to be tagged"

    bar.set_failed("a background job failed")  # the worker's index job raised
    assert bar.progress_label.text() == (
        "3 photos wait to be tagged: a background job failed (see above)"
    )
    bar.set_blocked("Waiting for a model: photos are not tagged (see above)")
    assert bar.progress_label.text().startswith("Waiting for a model")
    bar.set_blocked(None)
    assert bar.progress_label.text().startswith("3 photos wait")

    bar.set_counts({"new": 0, "indexed": 13, "missing": 0, "failed": 0})  # tagged since
    assert bar.progress_label.text() == "Up to date"


def test_one_photo_waits(qtbot):
    bar = StatusBar()
    qtbot.addWidget(bar)
    bar.show_progress(Progress(Phase.DONE, 5, 5))
    assert bar.progress_label.text() == "Up to date"
    bar.set_counts({"new": 1, "indexed": 4})
    assert bar.progress_label.text() == "1 photo waits to be tagged"


def test_busy_shows_progress_not_what_waits(qtbot):
    bar = StatusBar()
    qtbot.addWidget(bar)
    bar.set_counts({"new": 3})
    bar.show_progress(Progress(Phase.EMBED, 1, 3))
    assert bar.progress_label.text().startswith("Tagging: 1 of 3")
    bar.set_counts({"new": 2})  # counts while busy leave the progress as it is
    assert bar.progress_label.text().startswith("Tagging: 1 of 3")
