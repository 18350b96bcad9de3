"""The photographer's marks in a real catalog (clipdesk/catalog/marks.py): stars, labels and
flags set, filtered, and undone step by step; a bad value writes nothing."""

from __future__ import annotations

import pytest

from clipdesk.catalog import Catalog, browse, marks
from clipdesk.catalog.browse import PhotoFilter
from clipdesk.catalog.marks import KEEP, Marks


@pytest.fixture
def cat(tmp_path):
    with Catalog(tmp_path / "catalog.sqlite3") as c:
        folder = c.add_folder(tmp_path)
        for i in range(4):
            c.insert_photo(folder, str(tmp_path / f"p{i}.jpg"), 100 + i, i, f"h{i}")
        yield c


def _ids(cat, **flt) -> list[int]:
    return [int(i) for i in browse.photo_ids(cat, PhotoFilter(**flt))]


def test_marks_set_filter_and_undo_in_steps(cat):
    a, b, c, d = _ids(cat)
    assert marks.marks_of(cat) == {} and marks.last_at(cat) is None
    assert marks.set_marks(cat, [a, b], stars=4, label="red", what="4 stars") == [a, b]
    assert marks.set_marks(cat, [b, c], flag="pick") == [b, c]
    assert marks.set_marks(cat, [c], flag="reject") == [c]  # a reject replaces the pick
    assert marks.set_marks(cat, [a], stars=4) == []  # nothing changed: no step to undo
    assert marks.marks_of(cat, [a, b, c, d]) == {
        a: Marks(4, "red"),
        b: Marks(4, "red", "pick"),
        c: Marks(0, None, "reject"),
        d: Marks(),
    }
    assert _ids(cat, min_stars=4) == [a, b]
    assert _ids(cat, flag="pick") == [b] and _ids(cat, flag="reject") == [c]
    assert _ids(cat, flag="none") == [a, d] and _ids(cat, label="none") == [c, d]
    assert browse.briefs(cat, [b])[b].flag == "pick" and browse.briefs(cat, [b])[b].stars == 4

    assert marks.undo(cat).photo_ids == (c,)
    assert marks.marks_of(cat, [c])[c] == Marks(0, None, "pick")
    assert marks.undo(cat).photo_ids == (b, c)
    undone = marks.undo(cat)
    assert undone.what == "4 stars" and set(undone.photo_ids) == {a, b}
    assert marks.marks_of(cat) == {} and marks.undo(cat) is None


def test_a_bad_value_writes_nothing(cat):
    a = _ids(cat)[0]
    for bad in ({"stars": 6}, {"label": "orange"}, {"flag": "maybe"}):
        with pytest.raises(ValueError):
            marks.set_marks(cat, [a], **bad)
    assert marks.marks_of(cat) == {} and marks.last_at(cat) is None


def test_a_value_read_from_a_file_is_not_a_step_to_undo(cat):
    a, b = _ids(cat)[:2]
    marks.set_each(cat, {a: (3, KEEP, KEEP), b: (KEEP, "blue", KEEP)}, log=False)
    assert marks.marks_of(cat) == {a: Marks(3), b: Marks(0, "blue")}
    assert marks.undo(cat) is None


def test_describe():
    assert Marks(3, "green", "pick").describe() == "★★★ green pick"
    assert Marks().describe() == "no marks"
