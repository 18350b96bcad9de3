"""A disk that is already full, and a home that cannot be one (issue 26, item 7).

Real `clipdesk` processes; the full disk is a small tmpfs filled to the last byte (mount
works as root; elsewhere the test is skipped with the reason).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import one_line_error, run


@contextlib.contextmanager
def _small_disk(folder: Path, size: str = "4m"):
    """``folder`` on a file system of its own, ``size`` big, its files kept (copied in and,
    at the end, back out)."""
    saved = folder.with_name(folder.name + ".saved")
    if folder.exists():
        folder.rename(saved)
    folder.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)]
    if subprocess.run(mount, capture_output=True).returncode:
        folder.rmdir()
        if saved.exists():
            saved.rename(folder)
        pytest.skip("cannot mount a small file system here (needs root)")
    try:
        if saved.exists():
            for f in saved.iterdir():
                (shutil.copytree if f.is_dir() else shutil.copy2)(f, folder / f.name)
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def _fill(folder: Path) -> Path:
    """Leave not one byte free on ``folder``'s disk; the filler file, to free it again."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as f:
        for chunk in (1 << 16, 1 << 12, 1 << 9, 1):
            with contextlib.suppress(OSError):
                while True:
                    f.write(b"\0" * chunk)
    assert shutil.disk_usage(folder).free < 4096
    return filler


def test_reading_commands_work_on_a_full_disk_and_writes_say_it_is_full(home, shapes):
    run("--model", "test", "add", str(shapes))
    photo = str(sorted(shapes.glob("*.jpg"))[0])
    run("tag", photo, "--add", "Before")
    with _small_disk(home / "data") as data:
        filler = _fill(data)
        status = run("status", check=False)
        assert status.returncode == 0, status.stderr
        assert "36 indexed" in status.stdout
        found = run("search", "red circle", check=False)
        assert found.returncode == 0 and "red_circle" in found.stdout, found.stderr
        tags = run("tags", photo, check=False)
        assert tags.returncode == 0 and "Before" in tags.stdout, tags.stderr
        one_line_error(run("tag", photo, "--add", "After", check=False), "disk", "is full")
        filler.unlink()
        run("tag", photo, "--add", "After")
        tags = run("tags", photo).stdout
        assert "Before" in tags and "After" in tags  # nothing lost


def _damage(catalog: Path) -> None:
    data = bytearray(catalog.read_bytes())
    page = 4096
    data[5 * page : 7 * page] = b"\x5a" * (2 * page)
    catalog.write_bytes(bytes(data))


def test_repair_on_a_full_disk_changes_nothing_and_leaves_no_file(home, shapes):
    run("--model", "test", "add", str(shapes))
    cat = home / "data" / "catalog.sqlite3"
    with _small_disk(home / "data") as data:
        for side in ("-wal", "-shm"):
            assert not Path(f"{cat}{side}").exists()  # the catalog was closed cleanly
        _damage(cat)
        before = cat.read_bytes()
        filler = _fill(data)
        proc = run("repair", check=False)
        left = [p.name for p in data.iterdir() if ".damaged-" in p.name or ".recover" in p.name]
        assert left == []  # no 0-byte backup, no half-built catalog
        assert cat.read_bytes() == before
        one_line_error(proc, "disk", "full", "nothing was changed")
        filler.unlink()
        assert "backed up the damaged catalog" in run("repair").stdout


def test_repair_that_runs_out_of_space_midway_removes_what_it_wrote(home, shapes, monkeypatch):
    """Past the space check (its estimate can be short): the copy fails, nothing is left."""
    import clipdesk.catalog.repair as repair_mod

    run("--model", "test", "add", str(shapes))
    cat = home / "data" / "catalog.sqlite3"
    with _small_disk(home / "data") as data:
        _damage(cat)
        before = cat.read_bytes()
        filler = _fill(data)
        monkeypatch.setattr(repair_mod, "_check_space", lambda path: None)
        with pytest.raises((OSError, sqlite3.OperationalError)):
            repair_mod.repair(cat)
        assert cat.read_bytes() == before
        assert [p.name for p in data.iterdir() if ".damaged-" in p.name] == []
        assert [p.name for p in data.iterdir() if ".recover" in p.name] == []
        filler.unlink()


def test_export_exits_1_when_the_disk_refused_every_sidecar(home, shapes):
    run("--model", "test", "add", str(shapes))
    photos = sorted(shapes.glob("*.jpg"))[:3]
    for photo in photos:
        run("tag", str(photo), "--add", "Mine")
    with _small_disk(shapes, size="4m") as folder:
        filler = _fill(folder)
        proc = run("export", check=False)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr
        errors = [line for line in proc.stderr.splitlines() if line.startswith("clipdesk: error")]
        assert len(errors) == 1 and "3 sidecars could not be written" in errors[0], proc.stderr
        assert "disk is full" in errors[0]
        assert "wrote 0" in proc.stdout
        assert not list(folder.glob("*.xmp"))
        filler.unlink()
        again = run("export")  # the next export writes them all
        assert "wrote 3" in again.stdout
        assert len(list(folder.glob("*.xmp"))) == 3


@pytest.mark.parametrize("kind", ["file", "proc", "under-a-file"])
def test_a_home_that_cannot_be_a_folder_is_one_line(tmp_path, kind):
    where = {
        "file": tmp_path / "a-file",
        "proc": Path("/proc/self"),
        "under-a-file": tmp_path / "a-file" / "home",
    }[kind]
    (tmp_path / "a-file").write_text("not a folder")
    if kind == "proc" and not os.path.isdir("/proc/self"):
        pytest.skip("no /proc here")
    for args in (("status",), ("--model", "test", "add", str(tmp_path))):
        proc = run("--home", str(where), *args, check=False)
        one_line_error(proc, "cannot keep ClipDesk's files in", "--home")
    if kind != "proc":
        assert "a-file is a file, not a folder" in proc.stderr
    assert (tmp_path / "a-file").read_text() == "not a folder"
