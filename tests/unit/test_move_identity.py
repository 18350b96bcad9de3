"""A file is taken for a known photo (its record, tags and embedding) only when its whole
content matches (issue 26, item 3): the sampled hash finds candidates, XXH3-128 decides.
Real files, a real SQLite catalog."""

from __future__ import annotations

import os
import shutil
import threading

import numpy as np

from clipdesk.catalog import Catalog
from clipdesk.pipeline import steps
from clipdesk.pipeline.identity import content_hash, full_hash
from clipdesk.pipeline.scanner import scan
from clipdesk.tagging.corrections import decide, tags_of
from clipdesk.tagging.store import TagStore
from tests.support.lookalikes import lookalike


def _library(tmp_path):
    root = tmp_path / "photos"
    root.mkdir()
    cat = Catalog(tmp_path / "cat.sqlite3")
    cat.add_folder(root)
    return cat, root


def _indexed(cat: Catalog, path, whole: bool = True) -> int:
    """Scan ``path`` in, then record it as its decode does (``whole``: with the hash of the
    bytes decoded; False: as a release before version 12 did), with an embedding and the
    user's tag People|Alice."""
    scan(cat)
    pid = cat.photo_by_path(path).id
    model = cat.model_id("test", 4)
    with cat.transaction():
        cat.set_decoded(pid, 600, 600, 1, None, full_hash(path) if whole else None)
        cat.put_embedding(pid, model, np.float32([1, 0, 0, 0]))
    with cat.transaction():
        alice = TagStore(cat).ensure("People|Alice")
    decide(cat, [pid], alice, "confirmed")
    return pid


def _tags(cat: Catalog, pid: int) -> set[str]:
    return {t.tag for t in tags_of(cat, pid)}


def test_the_lookalikes_share_the_sampled_hash_but_not_the_whole_one(tmp_path):
    a = lookalike(tmp_path / "a.bmp", "circle")
    b = lookalike(tmp_path / "b.bmp", "ellipse")
    assert a.stat().st_size == b.stat().st_size
    assert content_hash(a) == content_hash(b)
    assert full_hash(a) != full_hash(b)


def test_a_different_photo_of_the_same_size_is_new_and_never_inherits_tags(tmp_path):
    cat, root = _library(tmp_path)
    circle = lookalike(root / "circle.bmp", "circle")
    pid = _indexed(cat, circle)
    circle.unlink()
    ellipse = lookalike(root / "ellipse.bmp", "ellipse")
    result = scan(cat)
    assert (result.moved, result.added, result.missing) == (0, 1, 1)
    new = cat.photo_by_path(ellipse)
    assert new.id != pid and new.status == "new"  # to be embedded: not the circle's vector
    assert cat.embedding(new.id, cat.model_id("test", 4)) is None
    assert _tags(cat, new.id) == set()
    assert cat.photo(pid).status == "missing" and _tags(cat, pid) == {"People|Alice"}


def test_a_real_move_keeps_the_record_its_embedding_and_tags(tmp_path):
    cat, root = _library(tmp_path)
    circle = lookalike(root / "circle.bmp", "circle")
    pid = _indexed(cat, circle)
    (root / "2024").mkdir()
    shutil.move(circle, root / "2024" / "renamed.bmp")
    lookalike(root / "ellipse.bmp", "ellipse")  # a look-alike arrives in the same scan
    result = scan(cat)
    assert (result.moved, result.added, result.missing) == (1, 1, 0)
    assert cat.photo_by_path(root / "2024" / "renamed.bmp").id == pid
    assert _tags(cat, pid) == {"People|Alice"}
    assert cat.embedding(pid, cat.model_id("test", 4)) is not None
    assert _tags(cat, cat.photo_by_path(root / "ellipse.bmp").id) == set()


def test_a_touch_keeps_the_embedding_and_an_edit_between_the_samples_does_not(tmp_path):
    cat, root = _library(tmp_path)
    photo = lookalike(root / "p.bmp", "circle")
    pid = _indexed(cat, photo)
    model = cat.model_id("test", 4)
    os.utime(photo, ns=(1, 1_800_000_000 * 10**9))  # same bytes, a new time
    touched = scan(cat)
    assert (touched.changed, touched.added) == (0, 0)
    assert cat.photo(pid).status == "indexed" and cat.embedding(pid, model) is not None
    lookalike(photo, "ellipse")  # repainted: same size, same samples, new time
    edited = scan(cat)
    assert edited.changed_ids == [pid]
    assert cat.photo(pid).status == "new" and cat.embedding(pid, model) is None
    assert _tags(cat, pid) == {"People|Alice"}  # the user's decision is kept


def test_an_older_catalogs_photo_moves_once_its_whole_content_is_read(tmp_path):
    cat, root = _library(tmp_path)
    old = lookalike(root / "old.bmp", "circle")
    legacy = _indexed(cat, old, whole=False)  # indexed before whole-content hashes
    assert cat.has_unfingerprinted()
    done = steps.fingerprint(cat)
    assert (done.hashed, done.done) == (1, True) and not cat.has_unfingerprinted()
    assert cat.photo(legacy).full_hash == full_hash(old)
    shutil.move(old, root / "moved.bmp")
    result = scan(cat)
    assert (result.moved, result.added, result.missing) == (1, 0, 0)
    assert cat.photo_by_path(root / "moved.bmp").id == legacy


def test_an_unread_older_record_is_never_proved_the_same(tmp_path):
    cat, root = _library(tmp_path)
    circle = lookalike(root / "circle.bmp", "circle")
    legacy = _indexed(cat, circle, whole=False)
    circle.unlink()
    lookalike(root / "ellipse.bmp", "ellipse")
    result = scan(cat)
    assert (result.moved, result.added, result.missing) == (0, 1, 1)
    assert _tags(cat, legacy) == {"People|Alice"} and cat.photo(legacy).status == "missing"


def test_a_record_nothing_was_learned_from_gives_way_to_the_new_file(tmp_path):
    cat, root = _library(tmp_path)
    circle = lookalike(root / "circle.bmp", "circle")
    scan(cat)  # recorded, never decoded: no embedding, no tag
    pid = cat.photo_by_path(circle).id
    circle.unlink()
    ellipse = lookalike(root / "ellipse.bmp", "ellipse")
    result = scan(cat)
    assert (result.moved, result.added, result.missing) == (0, 1, 0)
    assert cat.photo(pid) is None  # no stale "missing" record is left behind
    assert cat.photo_by_path(ellipse).status == "new"


def test_the_fingerprint_step_stops_when_asked_and_goes_on(tmp_path):
    cat, root = _library(tmp_path)
    ids = [_indexed(cat, lookalike(root / f"{i}.bmp", "circle"), whole=False) for i in range(3)]
    cancel = threading.Event()
    cancel.set()
    stopped = steps.fingerprint(cat, cancel=cancel)
    assert (stopped.hashed, stopped.done) == (0, False)
    assert steps.fingerprint(cat, stopped).done
    assert all(cat.photo(i).full_hash for i in ids)
