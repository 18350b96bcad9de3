"""A catalog of every past schema version opens with today's ClipDesk: it reaches the current
version and keeps its photos, their embeddings, the tags and the user's decisions. The
catalogs are frozen files (tests/data/catalogs/vN.sqlite3, made once by make_frozen.py
there), not built from today's migration code, so an edited old migration shows here."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from clipdesk.catalog import SCHEMA_VERSION, Catalog, albums, marks
from clipdesk.catalog.flags import reject_flagged
from clipdesk.catalog.imports import pending_count
from clipdesk.catalog.marks import Marks
from clipdesk.tagging.corrections import tags_of
from tests.support import frozen_catalogs as frozen
from tests.support.repo import DATA

CATALOGS = DATA / "catalogs"


def test_there_is_a_frozen_catalog_for_every_schema_version():
    present = sorted(int(p.stem[1:]) for p in CATALOGS.glob("v*.sqlite3"))
    assert present == list(range(1, SCHEMA_VERSION + 1))


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION + 1))
def test_a_frozen_catalog_migrates_keeping_its_data(tmp_path, version):
    path = tmp_path / "catalog.sqlite3"
    shutil.copyfile(CATALOGS / f"v{version}.sqlite3", path)
    with Catalog(path) as cat:
        assert cat.schema_version() == SCHEMA_VERSION
        assert cat.folders() == [frozen.FOLDER]
        model_id = cat.model_id(frozen.MODEL[1], frozen.MODEL[2])
        assert model_id == frozen.MODEL[0]  # the same model, not a new one
        for pid, (path_, size, _, hash_, width, height, taken_at, _) in frozen.PHOTOS.items():
            photo = cat.photo(pid)
            assert (photo.path, photo.size, photo.hash) == (path_, size, hash_)
            assert (photo.width, photo.height, photo.taken_at) == (width, height, taken_at)
            assert photo.status == "indexed"
            vector = cat.embedding(pid, model_id)
            np.testing.assert_array_equal(vector, np.float32(frozen.VECTORS[pid]))
        # Scored once more for the calibration (version 11), whatever the version scored.
        assert cat.has_unscored() == (version < 11)
        # Whole-content hashes (version 12): none before, so the fingerprint step reads them.
        full = {pid: cat.photo(pid).full_hash for pid in frozen.PHOTOS}
        assert full == (
            {frozen.FULL_HASH[0]: frozen.FULL_HASH[1], 2: None}
            if version >= 12
            else {1: None, 2: None}
        )
        assert cat.has_unfingerprinted()
        # People (version 13): none before; a confirmed face and its person kept after.
        faces = cat.conn.execute("SELECT id, photo_id, person_id, state FROM faces").fetchall()
        assert faces == (
            [(frozen.FACE[0], frozen.FACE[1], 1, "confirmed")] if version >= 13 else []
        )
        if version < 2:
            return
        paths = {tid: "|".join(_path(tid)) for tid in frozen.TAGS}
        for pid in frozen.PHOTOS:
            got = {(t.tag, t.state, t.source, t.score) for t in tags_of(cat, pid)}
            want = {
                (paths[tid], state, source, score)
                for p, tid, state, source, score in frozen.PHOTO_TAGS
                if p == pid
            }
            assert got == want
        assert cat.export_record(1) == ({"Colours|Red"}, version >= 6)
        if version >= 7:
            assert reject_flagged(cat) == {frozen.REJECTED_PHOTO}
        if version >= 9:
            assert pending_count(cat) == 1
        if version >= 10:
            assert cat.export_state(frozen.REJECTED_PHOTO) == (set(), True, "-1")
        # Marks (version 14): the reject flag of version 7 is a mark; stars, label, pick after.
        got = marks.marks_of(cat, list(frozen.PHOTOS))
        assert got[frozen.REJECTED_PHOTO].flag == ("reject" if version >= 7 else None)
        photo_id, stars, label, _ = frozen.MARKS
        assert got[photo_id] == (Marks(stars, label, "pick") if version >= 14 else Marks())
        assert [a.name for a in albums.albums(cat)] == (["Best"] if version >= 14 else [])
        if version >= 14:
            assert albums.album(cat, "best").filter.min_stars == 3
            assert marks.undo(cat).photo_ids == (photo_id,)
            assert marks.marks_of(cat, [photo_id])[photo_id] == Marks(0, label, "pick")
        # Places and words (version 15): a position and its place, the words read.
        places = cat.conn.execute("SELECT * FROM photo_places").fetchall()
        words = cat.conn.execute("SELECT photo_id, text FROM photo_text").fetchall()
        assert [tuple(r)[:9] for r in places] == ([frozen.PLACE] if version >= 15 else [])
        assert [tuple(r) for r in words] == ([frozen.TEXT[:2]] if version >= 15 else [])


def _path(tag_id: int) -> list[str]:
    name, parent, _ = frozen.TAGS[tag_id]
    return ([*_path(parent)] if parent else []) + [name]
