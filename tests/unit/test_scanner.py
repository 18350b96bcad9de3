"""Scanning folders: incremental by size and mtime, moves, missing drives, hidden files, loops."""

from __future__ import annotations

import os
import shutil

from PIL import Image

from clipdesk.catalog import Catalog
from clipdesk.pipeline.identity import content_hash, full_hash
from clipdesk.pipeline.scanner import scan, walk_photos


def _photo(path, colour=(200, 10, 10), size=(64, 48)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)
    return path


def _catalog(tmp_path, root):
    cat = Catalog(tmp_path / "cat.sqlite3")
    cat.add_folder(root)
    return cat


def test_walk_skips_hidden_and_unsupported_and_survives_symlink_loops(tmp_path):
    root = tmp_path / "p"
    _photo(root / "a.jpg")
    _photo(root / "sub" / "b.PNG")
    _photo(root / ".hidden" / "c.jpg")
    _photo(root / ".d.jpg")
    (root / "notes.txt").write_text("x")
    os.symlink(root, root / "sub" / "loop")
    found = sorted(os.path.relpath(e.path, root) for e in walk_photos(root))
    assert found == ["a.jpg", "sub/b.PNG"]


def test_second_scan_of_unchanged_folder_changes_nothing(tmp_path):
    root = tmp_path / "p"
    for i in range(5):
        _photo(root / f"{i}.jpg", (i * 40, 0, 0))
    cat = _catalog(tmp_path, root)
    first = scan(cat)
    assert (first.seen, first.added) == (5, 5)
    second = scan(cat)
    assert (second.seen, second.added, second.changed, second.moved) == (5, 0, 0, 0)


def test_edited_file_is_marked_for_reindexing(tmp_path):
    root = tmp_path / "p"
    p = _photo(root / "a.jpg")
    cat = _catalog(tmp_path, root)
    scan(cat)
    pid = cat.photo_by_path(p).id
    cat.set_decoded(pid, 64, 48, 1, None, full_hash(p))  # as its decode records it
    _photo(p, (0, 200, 0), (80, 60))
    os.utime(p, ns=(1, 10**18))
    assert scan(cat).changed == 1
    row = cat.photo(pid)
    assert row.status == "new" and row.width is None


def test_moved_file_keeps_its_record(tmp_path):
    root = tmp_path / "p"
    p = _photo(root / "a.jpg")
    cat = _catalog(tmp_path, root)
    scan(cat)
    pid = cat.photo_by_path(p).id
    cat.set_decoded(pid, 64, 48, 1, None, full_hash(p))  # as its decode records it
    (root / "renamed").mkdir()
    shutil.move(p, root / "renamed" / "b.jpg")
    result = scan(cat)
    assert (result.moved, result.added, result.missing) == (1, 0, 0)
    row = cat.photo(pid)
    assert row.path == str(root / "renamed" / "b.jpg") and row.status == "indexed"


def test_deleted_file_is_kept_as_missing(tmp_path):
    root = tmp_path / "p"
    p = _photo(root / "a.jpg")
    cat = _catalog(tmp_path, root)
    scan(cat)
    p.unlink()
    assert scan(cat).missing == 1
    assert cat.photo_by_path(p).status == "missing"


def test_unmounted_folder_marks_photos_missing_and_they_return(tmp_path):
    root = tmp_path / "drive" / "photos"
    p = _photo(root / "a.jpg")
    cat = _catalog(tmp_path, root)
    scan(cat)
    pid = cat.photo_by_path(p).id
    cat.set_decoded(pid, 64, 48, 1, None, full_hash(p))  # as its decode records it
    shutil.move(tmp_path / "drive", tmp_path / "unplugged")
    result = scan(cat)
    assert result.missing_folders == [str(root)]
    assert cat.photo(pid).status == "missing"
    shutil.move(tmp_path / "unplugged", tmp_path / "drive")
    assert scan(cat).restored == 1
    assert cat.photo(pid).status == "indexed"


def test_content_hash_samples_large_files(tmp_path):
    a = tmp_path / "a.bin"
    a.write_bytes(os.urandom(1_000_000))
    b = tmp_path / "b.bin"
    b.write_bytes(a.read_bytes())
    assert content_hash(a) == content_hash(b)
    data = bytearray(a.read_bytes())
    data[-1] ^= 0xFF
    b.write_bytes(bytes(data))
    assert content_hash(a) != content_hash(b)


def test_a_pipe_or_device_named_like_a_photo_is_reported_as_skipped(tmp_path):
    root = tmp_path / "p"
    _photo(root / "a.jpg")
    os.mkfifo(root / "pipe.jpg")
    os.symlink("/dev/null", root / "device.png")
    cat = _catalog(tmp_path, root)
    result = scan(cat)
    assert result.added == 1  # the photo, and the scan did not block on the pipe
    reasons = {os.path.basename(p): why for p, why in result.errors}
    assert reasons == {
        "pipe.jpg": "not a photo file: a named pipe (FIFO)",
        "device.png": "not a photo file: a character device",
    }
    # Named by path, as the watcher names a change, it is reported too.
    again = scan(cat, paths={str(root / "pipe.jpg")})
    assert [why for _, why in again.errors] == ["not a photo file: a named pipe (FIFO)"]
