"""Fault injection in the scanner and the catalog: names that are not UTF-8, unreadable files
and folders, failed photos tried again. Real files, a real SQLite catalog (issue 13)."""

from __future__ import annotations

import os
import shutil

import pytest

from clipdesk.catalog import Catalog
from clipdesk.pathnames import from_db, from_shown, shown, to_db
from clipdesk.pipeline.scanner import scan
from tests.support.files import NOT_UTF8, photo_file


def test_path_escape_round_trips_and_keeps_prefixes():
    odd = os.fsdecode(b"/p/d\xff/x\xfe\xf4\x8f\xbf\xbf.jpg")  # includes U+10FFFF itself
    for p in (odd, "/p/plain.jpg", "/p/\U0010ffff", "/p/caf\u00e9"):
        assert from_db(to_db(p)) == p
        to_db(p).encode("utf-8")  # storable
    assert to_db("/p/plain.jpg") == "/p/plain.jpg"
    folder = os.fsdecode(b"/p/d\xff")
    assert to_db(odd).startswith(to_db(folder) + "/")
    assert shown(odd) == "/p/d\\xff/x\\xfe\U0010ffff.jpg"
    assert from_shown(shown(odd)) == odd


def test_scan_stores_a_name_that_is_not_utf8_with_the_others(tmp_path):
    root = tmp_path / "p"
    good = photo_file(os.fsencode(root / "good.jpg"))
    bad = photo_file(os.path.join(os.fsencode(root), b"d\xff", NOT_UTF8))
    cat = Catalog(tmp_path / "cat.sqlite3")
    cat.add_folder(root)
    result = scan(cat)
    assert (result.added, result.errors) == (2, [])
    row = cat.photo_by_path(os.fsdecode(bad))
    assert row is not None and os.fsencode(row.path) == bad
    assert cat.photo_by_path(os.fsdecode(good)) is not None
    # The range query of a watcher event inside the odd folder finds it.
    under = cat.photos_under(row.folder_id, os.fsdecode(os.path.dirname(bad)))
    assert list(under) == [os.fsdecode(bad)]
    assert scan(cat).added == 0  # found again, unchanged
    cat.close()


def test_unreadable_photo_is_recorded_failed_with_its_reason(tmp_path, monkeypatch):
    import errno

    import clipdesk.pipeline.scanner as scanner

    root = tmp_path / "p"
    for name in ("a.jpg", "eio.jpg", "b.jpg"):
        photo_file(str(root / name))
    os.symlink("loop.jpg", root / "loop.jpg")  # ELOOP
    real = scanner.content_hash

    def flaky(path, size=None):
        if os.fspath(path).endswith("eio.jpg"):
            raise OSError(errno.EIO, os.strerror(errno.EIO), os.fspath(path))
        return real(path, size)

    monkeypatch.setattr(scanner, "content_hash", flaky)
    cat = Catalog(tmp_path / "cat.sqlite3")
    cat.add_folder(root)
    result = scan(cat)
    assert result.added == 3
    assert [(os.path.basename(p), r) for p, r in result.errors] == [
        ("loop.jpg", "cannot read file: Too many levels of symbolic links")
    ]
    row = cat.photo_by_path(str(root / "eio.jpg"))
    assert (row.status, row.error) == ("failed", "cannot read file: Input/output error")
    assert cat.status_counts()["new"] == 2
    cat.close()


@pytest.mark.permissions
@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_folder_and_file_are_reported(tmp_path):
    root = tmp_path / "p"
    photo_file(str(root / "a.jpg"))
    photo_file(str(root / "locked" / "b.jpg"))
    photo_file(str(root / "c.jpg"))
    os.chmod(root / "c.jpg", 0)
    os.chmod(root / "locked", 0)
    try:
        cat = Catalog(tmp_path / "cat.sqlite3")
        cat.add_folder(root)
        result = scan(cat)
        assert any(p.endswith("locked") and "denied" in r for p, r in result.errors)
        assert cat.photo_by_path(str(root / "c.jpg")).status == "failed"
        cat.close()
    finally:
        os.chmod(root / "locked", 0o755)


def test_version_3_catalog_migrates_to_4_keeping_failed_photos(tmp_path):
    import sqlite3

    from clipdesk.catalog.schema import V1, V2, V3

    path = tmp_path / "v3.sqlite3"
    conn = sqlite3.connect(path)
    for step in (V1, V2, V3):
        conn.executescript(step)
    conn.execute("INSERT INTO folders(id, path, added_at) VALUES (1, '/p', 0)")
    conn.execute(
        "INSERT INTO photos(id, folder_id, path, size, mtime_ns, hash, status, error, "
        "updated_at) VALUES (7, 1, '/p/a.jpg', 10, 5, 'h', 'failed', 'boom', 0)"
    )
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()
    with Catalog(path) as cat:
        assert cat.schema_version() >= 4
        row = cat.photo(7)
        assert (row.status, row.error, row.inode) == ("failed", "boom", None)
        assert cat.thumbs_missing() == []


def test_failed_photo_is_retried_when_restored_touched_or_asked(tmp_path):
    root = tmp_path / "p"
    good = photo_file(str(root / "a.jpg"))
    cat = Catalog(tmp_path / "cat.sqlite3")
    cat.add_folder(root)
    scan(cat)
    backup = tmp_path / "a.backup"
    shutil.copy2(good, backup)
    pid = cat.photo_by_path(good).id
    # A race: the photo was half-written when it was decoded, and recorded failed.
    with cat.transaction():
        cat.mark_failed(pid, "truncated")
    assert scan(cat).changed == 0  # nothing changed: stays failed
    assert cat.photo(pid).status == "failed"
    # Restored byte-identical by copying back with the old timestamps: a new inode.
    shutil.copy2(backup, root / "a.tmp")
    os.replace(root / "a.tmp", good)
    assert scan(cat).changed == 1 and cat.photo(pid).status == "new"
    # Touched (same content, new mtime).
    with cat.transaction():
        cat.mark_failed(pid, "truncated")
    os.utime(good, ns=(10**18, 10**18))
    assert scan(cat).changed == 1 and cat.photo(pid).status == "new"
    # Asked for (`clipdesk index --retry-failed`).
    with cat.transaction():
        cat.mark_failed(pid, "truncated")
    assert cat.retry_failed() == 1
    scan(cat)
    row = cat.photo(pid)
    assert (row.status, row.error) == ("new", None)
    cat.close()
