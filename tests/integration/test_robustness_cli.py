"""Fault injection through the CLI: odd names, stale failures, bad arguments, bad catalogs.

Real processes, real files, a real SQLite catalog (issue 13).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from clipdesk.pathnames import shown
from tests.support.cli import one_line_error
from tests.support.damage import damage_embeddings
from tests.support.files import NOT_UTF8, photo_file

CLI = [sys.executable, "-m", "clipdesk"]


def run(*args, check=True, **kw):
    proc = subprocess.run([*CLI, *args], capture_output=True, timeout=600, **kw)
    proc.stdout, proc.stderr = (s.decode("utf-8") for s in (proc.stdout, proc.stderr))
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def test_cli_indexes_shows_finds_and_exports_a_name_that_is_not_utf8(home, tmp_path):
    root = tmp_path / "odd"
    photo_file(os.fsencode(root / "red.jpg"))
    bad = photo_file(os.path.join(os.fsencode(root), NOT_UTF8), colour=(10, 10, 200))
    photo_file(os.fsencode(tmp_path / "other" / "green.jpg"), colour=(10, 200, 10))
    added = run("--model", "test", "add", str(root), str(tmp_path / "other"))
    assert "3 embedded, 0 skipped" in added.stdout, added.stdout
    hits = run("search", "blue square", "--limit", "3")
    assert "bad\\xff\\xfe.jpg" in hits.stdout
    hits = json.loads(run("search", "blue square", "--json").stdout)
    assert any(h["path"].endswith("bad\\xff\\xfe.jpg") for h in hits)
    # Found by the name the shell gives (bytes) and by the name ClipDesk shows.
    for arg in (bad, shown(os.fsdecode(bad))):
        run("tag", arg, "--add", "Odd")
        assert "Odd" in run("tags", arg).stdout
    exported = run("export", bad)
    assert "wrote 1," in exported.stdout, exported.stdout
    assert os.path.isfile(bad + b".xmp")


def test_255_byte_names_index_import_and_export_without_crashing(home, tmp_path):
    root = tmp_path / "long"
    long_name = "x" * 251 + ".jpg"  # 255 bytes: no room for ".xmp" after it
    photo_file(str(root / long_name))
    photo_file(str(root / "short.jpg"), colour=(10, 10, 200))
    added = run("--model", "test", "add", str(root))
    assert "2 embedded, 0 skipped" in added.stdout, added.stdout + added.stderr
    imported = run("import-keywords")
    assert "Traceback" not in imported.stderr
    run("tag", str(root / long_name), str(root / "short.jpg"), "--add", "Long")
    exported = run("export")
    assert "wrote 1, unchanged 0, skipped 1" in exported.stdout, exported.stdout
    assert "too long" in exported.stderr and "--naming base" in exported.stderr
    based = run("export", "--naming", "base")
    assert "skipped 0" in based.stdout, based.stdout + based.stderr
    assert (root / ("x" * 251 + ".xmp")).is_file()


def test_unwritable_thumbnail_cache_fails_no_photo_and_is_caught_up(home, shapes):
    cache = home / "cache" / "thumbnails"
    cache.write_text("not a folder")  # any save fails (ENOTDIR), even for root
    added = run("--model", "test", "add", str(shapes))
    assert "36 embedded, 0 skipped" in added.stdout, added.stdout
    assert "thumbnails could not be saved" in added.stdout
    status = json.loads(run("status", "--json").stdout)
    assert status["counts"]["failed"] == 0 and status["counts"]["indexed"] == 36
    cache.unlink()
    again = run("index")
    assert "thumbnails could not be saved" not in again.stdout
    assert len(list(cache.rglob("*.jpg"))) == 36


def test_index_retry_failed_flag(home, shapes):
    broken = shapes / "zz_broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really")
    run("--model", "test", "add", str(shapes))
    fixed = sorted(shapes.glob("*red_circle.jpg"))[0].read_bytes()
    st = broken.stat()
    with open(broken, "r+b") as f:  # repaired in place: same inode, size and mtime kept
        f.write(fixed[: st.st_size])
    os.utime(broken, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert "0 embedded" in run("index").stdout
    retried = run("index", "--retry-failed")
    assert "retrying 1 failed photo" in retried.stdout
    assert "1 changed" in retried.stdout, retried.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("search", "red", "--limit", "0"), "must be at least 1"),
        (("search", "red", "--limit", "-1"), "must be at least 1"),
        (("search", "red", "--limit", "x"), "not a whole number"),
        (("similar", "a.jpg", "--limit", "0"), "must be at least 1"),
        (("review", "--limit", "-1"), "must be at least 1"),
        (("search", ""), "must not be empty"),
        (("search", "   "), "must not be empty"),
        (("search", "red", "--tag", " "), "must not be empty"),
        (("tag", "a.jpg", "--reject", ""), "must not be empty"),
        (("tag", "a.jpg", "--confirm", " "), "must not be empty"),
        (("tag", "a.jpg", "--add", ""), "must not be empty"),
        (("tag", "a.jpg", "--add", b"\xff"), "not valid UTF-8"),
    ],
)
def test_bad_arguments_are_usage_errors(home, args, message):
    proc = run(*args, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_add_a_file_export_or_import_outside_the_library_and_dry_run_settings(home, shapes):
    photo = sorted(shapes.glob("*.jpg"))[0]
    proc = run("add", str(photo), check=False)
    assert proc.returncode == 1 and "is a file, not a folder" in proc.stderr
    run("--model", "test", "add", str(shapes))
    run("tag", str(photo), "--add", "Mine")
    elsewhere = shapes.parent / "elsewhere"
    elsewhere.mkdir()
    for cmd in ("export", "import-keywords"):
        proc = run(cmd, str(elsewhere), check=False)
        assert proc.returncode == 1, proc.stdout
        assert "is not in the library" in proc.stderr and "Traceback" not in proc.stderr
    settings = home / "config" / "settings.json"
    before = settings.read_text() if settings.exists() else None
    dry = run("export", "--dry-run", "--naming", "base")
    assert "would write 1" in dry.stdout or "1" in dry.stdout
    assert (settings.read_text() if settings.exists() else None) == before
    assert not list(shapes.glob("*.xmp"))


def _catalog_file(home):
    return home / "data" / "catalog.sqlite3"


def test_garbage_catalog_is_reported_not_replaced_and_repair_starts_over(home, shapes):
    cat = _catalog_file(home)
    cat.parent.mkdir(parents=True)
    cat.write_bytes(b"this is no database, " * 300)
    for args in (("status",), ("search", "red"), ("index",)):
        one_line_error(run(*args, check=False), "is damaged", "clipdesk repair")
    assert cat.read_bytes().startswith(b"this is no database")  # never replaced silently
    verbose = run("-v", "status", check=False)
    assert verbose.returncode == 1 and "Traceback" in verbose.stderr
    repaired = run("repair")
    assert "backed up" in repaired.stdout
    assert list(cat.parent.glob("catalog.sqlite3.damaged-*"))[0].read_bytes().startswith(b"this")
    run("--model", "test", "add", str(shapes))
    assert json.loads(run("status", "--json").stdout)["counts"]["indexed"] == 36


def test_empty_catalog_file_is_reported(home):
    cat = _catalog_file(home)
    cat.parent.mkdir(parents=True)
    cat.touch()
    one_line_error(run("status", check=False), "empty", "clipdesk repair")
    assert cat.stat().st_size == 0


def test_malformed_catalog_is_reported_and_repaired_keeping_what_it_can(home, shapes):
    import sqlite3

    run("--model", "test", "add", str(shapes))
    run("tag", str(sorted(shapes.glob("*.jpg"))[0]), "--add", "Kept")
    cat = _catalog_file(home)
    assert damage_embeddings(cat) >= 2
    faults = [run(*a, check=False) for a in (("status",), ("search", "red"), ("export",))]
    assert any(p.returncode == 1 for p in faults)
    for proc in faults:
        if proc.returncode:
            one_line_error(proc, "is damaged", "clipdesk repair")
    repaired = run("repair")
    assert "recovered" in repaired.stdout, repaired.stdout
    conn = sqlite3.connect(cat)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    again = run("index")
    assert "0 new" in again.stdout and " 0 embedded" not in again.stdout, again.stdout
    assert json.loads(run("status", "--json").stdout)["counts"]["indexed"] == 36
    assert "Kept" in run("tags", str(sorted(shapes.glob("*.jpg"))[0])).stdout  # the decision
    assert run("search", "red circle").returncode == 0


def test_catalog_from_a_newer_clipdesk_is_one_line(home):
    import sqlite3

    run("status")
    conn = sqlite3.connect(_catalog_file(home))
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    one_line_error(run("status", check=False), "update ClipDesk")


def _chattr(flag, *paths):
    return subprocess.run(["chattr", flag, *map(str, paths)], capture_output=True).returncode == 0


def test_read_only_catalog_serves_the_commands_that_only_read(home, shapes):
    run("--model", "test", "add", str(shapes))
    photo = str(sorted(shapes.glob("*.jpg"))[0])
    run("tag", photo, "--add", "Mine")
    cat = _catalog_file(home)
    if not _chattr("+i", cat, cat.parent):
        pytest.skip("chattr +i is not available here")
    try:
        for args in (
            ("search", "red circle"),
            ("similar", photo),
            ("status",),
            ("tags", photo),
            ("review",),
            ("export", "--dry-run"),
        ):
            proc = run(*args, check=False)
            assert proc.returncode == 0, (args, proc.stderr)
        one_line_error(run("tag", photo, "--add", "More", check=False), "read-only")
    finally:
        _chattr("-i", cat, cat.parent)


def test_full_disk_is_one_line_and_loses_nothing(home, shapes):
    run("--model", "test", "add", str(shapes))
    photo = str(sorted(shapes.glob("*.jpg"))[0])
    run("tag", photo, "--add", "Before")
    data = home / "data"
    saved = home / "data.saved"
    shutil.copytree(data, saved)
    shutil.rmtree(data)
    data.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(data)]).returncode:
        shutil.rmtree(data)
        saved.rename(data)
        pytest.skip("cannot mount a small file system here")
    try:
        for f in saved.iterdir():  # the catalog, and the vector files search reads
            (shutil.copytree if f.is_dir() else shutil.copy2)(f, data / f.name)
        with open(data / "filler", "wb") as f:  # leave no free space
            try:
                while True:
                    f.write(b"\0" * 65536)
            except OSError:
                pass
        proc = run("tag", photo, "--add", "After", check=False)
        one_line_error(proc, "full")
        (data / "filler").unlink()
        assert "Before" in run("tags", photo).stdout  # nothing lost
        run("tag", photo, "--add", "After")
        assert "After" in run("tags", photo).stdout
    finally:
        subprocess.run(["umount", str(data)])


def test_unwritable_settings_folder_is_one_line(home, shapes):
    config = home / "config"
    config.mkdir(parents=True, exist_ok=True)
    if not _chattr("+i", config):
        pytest.skip("chattr +i is not available here")
    try:
        proc = run("--model", "test", "add", str(shapes), check=False)
        one_line_error(proc, "permission denied", str(config))
    finally:
        _chattr("-i", config)
