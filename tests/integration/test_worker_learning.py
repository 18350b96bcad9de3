"""A correction made through the worker (as the window makes it) is learned at once, and
the worker says exactly which photos' suggestions changed."""

from __future__ import annotations

from pathlib import Path

from clipdesk.ops import tags as tag_ops
from clipdesk.worker import EventKind
from tests.support.catalog_reads import query
from tests.support.polling import wait_until


def _square_rows(home, tag_id):
    rows = query(home, "SELECT photo_id, state, score FROM photo_tags WHERE tag_id = ?", tag_id)
    return {p: (state, score) for p, state, score in rows}


def test_one_rejection_changes_another_photos_suggestions(home, start, shapes):
    w, events = start(shapes)
    assert w.wait_idle(120)
    square = w.submit(lambda lib: tag_ops.find_tag(lib, "Shape|square").id).result(30)
    ids = {Path(p).name: i for i, p in query(home, "SELECT id, path FROM photos")}
    green_square, blue_circle = ids["0004_green_square.jpg"], ids["0006_blue_circle.jpg"]
    # Earlier, the user confirmed the tag on one photo (and that was learned).
    w.submit(lambda lib: tag_ops.decide(lib, [green_square], square, "confirmed")).result(30)
    assert w.wait_idle(60)
    before = _square_rows(home, square)
    seen = len(events.events)

    # One rejection, through the worker as the window makes it.
    w.submit(lambda lib: tag_ops.decide(lib, [blue_circle], square, "rejected")).result(30)

    def learned():
        return [
            e
            for e in events.events[seen:]
            if e.kind == EventKind.TAGS_CHANGED and set(e.photo_ids) - {blue_circle}
        ]

    wait_until(lambda: learned(), timeout=30)
    assert w.wait_idle(60)
    after = _square_rows(home, square)
    changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
    assert changed - {blue_circle, green_square}, "no other photo's suggestion changed"
    (event,) = learned()
    assert event.tag_ids == (square,)
    # Exactly the photos whose suggestion (or its score) changed: the window refreshes those.
    assert set(event.photo_ids) == changed
    # The decision itself was announced at once, for its one photo.
    decided = [e for e in events.events[seen:] if e.photo_ids == (blue_circle,)]
    assert decided and decided[0].kind == EventKind.TAGS_CHANGED
