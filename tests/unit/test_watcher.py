"""The folder watcher against real folders and a real watchdog observer (no model needed),
and the scanner's path-limited scans that its batches drive."""

from __future__ import annotations

import errno
import os
import shutil
import threading
import time

import pytest
from PIL import Image

from clipdesk.catalog import Catalog
from clipdesk.pipeline.identity import full_hash
from clipdesk.pipeline.scanner import scan
from clipdesk.pipeline.watcher import FolderWatcher, WatchMode, mount_fstype


def wait_until(cond, timeout: float = 15.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {cond}")


class Recorder:
    """Collects the watcher's batches (and when they came) and its mode reports."""

    def __init__(self):
        self.batches: list[tuple[float, dict]] = []
        self.modes: list[tuple[int, str, WatchMode]] = []
        self.lock = threading.Lock()

    def changes(self, batch):
        with self.lock:
            self.batches.append((time.monotonic(), batch))

    def mode(self, folder_id, root, mode):
        self.modes.append((folder_id, root, mode))

    def paths(self) -> set[str]:
        with self.lock:
            return {p for _, b in self.batches for ps in b.values() if ps for p in ps}

    def whole(self) -> list[int]:
        with self.lock:
            return [f for _, b in self.batches for f, ps in b.items() if ps is None]


@pytest.fixture
def watched(tmp_path):
    """A running watcher on an empty folder, stopped (and checked for stray threads) after."""
    root = tmp_path / "photos"
    root.mkdir()
    rec = Recorder()
    before = set(threading.enumerate())
    w = FolderWatcher(rec.changes, rec.mode, poll_interval=0.5, debounce=0.4)
    w.start()
    assert w.watch(1, str(root)).mode == "events"
    yield w, rec, root
    w.stop()
    assert set(threading.enumerate()) - before == set()


def _jpeg(path, colour=(200, 10, 10)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (32, 24), colour).save(path, "JPEG")
    return path


def test_a_burst_of_300_files_is_one_batch(watched):
    w, rec, root = watched
    data = [os.urandom(2000) for _ in range(300)]
    for i, d in enumerate(data):
        (root / f"{i:03d}.jpg").write_bytes(d)
    wait_until(lambda: len(rec.paths()) >= 300)
    assert len(rec.batches) == 1 and w.batches == 1
    assert rec.paths() == {str(root / f"{i:03d}.jpg") for i in range(300)}


def test_a_file_written_slowly_goes_out_once_complete(watched):
    _, rec, root = watched
    path = root / "slow.jpg"
    with open(path, "wb") as f:
        for _ in range(8):  # 8 chunks, 0.15 s apart: longer than the debounce in total
            f.write(os.urandom(4096))
            f.flush()
            time.sleep(0.15)
        finished = time.monotonic()
    wait_until(lambda: rec.batches)
    time.sleep(0.5)
    assert len(rec.batches) == 1
    at, batch = rec.batches[0]
    assert batch == {1: {str(path)}} and at >= finished


def test_moves_name_both_ends_and_deletes_are_reported(watched):
    _, rec, root = watched
    _jpeg(root / "a" / "x.jpg")
    wait_until(lambda: rec.paths())
    rec.batches.clear()
    os.rename(root / "a" / "x.jpg", root / "a" / "y.jpg")
    wait_until(lambda: {str(root / "a" / "x.jpg"), str(root / "a" / "y.jpg")} <= rec.paths())
    rec.batches.clear()
    os.rename(root / "a", root / "b")
    wait_until(lambda: {str(root / "a"), str(root / "b")} <= rec.paths())
    rec.batches.clear()
    os.remove(root / "b" / "y.jpg")
    wait_until(lambda: str(root / "b" / "y.jpg") in rec.paths())


def test_hidden_and_unsupported_files_are_ignored(watched):
    _, rec, root = watched
    (root / ".partial.jpg").write_bytes(b"x")
    (root / "notes.txt").write_text("x")
    (root / "ok.png").write_bytes(b"x")
    wait_until(lambda: rec.paths())
    assert rec.paths() == {str(root / "ok.png")}


def test_a_vanished_root_is_reported_and_watched_again_when_back(watched, tmp_path):
    w, rec, root = watched
    away = tmp_path / "unplugged"
    os.rename(root, away)  # like an unmount: the path is gone
    wait_until(lambda: w.modes()[1][1].mode == "missing")
    wait_until(lambda: 1 in rec.whole())  # a full rescan marks its photos missing
    rec.batches.clear()
    os.rename(away, root)
    wait_until(lambda: w.modes()[1][1].mode == "events")
    wait_until(lambda: 1 in rec.whole())  # a full rescan brings them back
    rec.batches.clear()
    _jpeg(root / "after.jpg")  # and events flow again
    wait_until(lambda: str(root / "after.jpg") in rec.paths())
    shutil.rmtree(root)  # a deleted root is noticed at once, from its own event
    wait_until(lambda: w.modes()[1][1].mode == "missing", timeout=5)


def test_network_filesystems_are_polled(tmp_path):
    root = tmp_path / "nas"
    root.mkdir()
    fstype = mount_fstype(str(root))
    if fstype is None:
        pytest.skip("no mount table here")
    rec = Recorder()
    w = FolderWatcher(
        rec.changes, rec.mode, poll_interval=0.3, debounce=0.2, network_fs=frozenset({fstype})
    )  # pretend this filesystem is remote
    w.start()
    try:
        mode = w.watch(7, str(root))
        assert mode.mode == "polling" and fstype in mode.reason
        wait_until(lambda: rec.whole().count(7) >= 2)  # a full rescan every poll_interval
    finally:
        w.stop()


def test_the_os_watch_limit_falls_back_to_polling(tmp_path, monkeypatch):
    from watchdog.observers.api import BaseObserver

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "inotify watch limit reached")

    monkeypatch.setattr(BaseObserver, "schedule", full)
    root = tmp_path / "p"
    root.mkdir()
    rec = Recorder()
    w = FolderWatcher(rec.changes, rec.mode, poll_interval=0.3, debounce=0.2)
    w.start()
    try:
        mode = w.watch(3, str(root))
        assert mode.mode == "polling" and "limit" in mode.reason
        assert rec.modes[-1] == (3, str(root), mode)
        wait_until(lambda: 3 in rec.whole())
    finally:
        w.stop()


def test_mount_table_parsing(tmp_path):
    mounts = tmp_path / "mounts"
    mounts.write_text(
        "/dev/sda1 / ext4 rw 0 0\n"
        "server:/photos /mnt/my\\040photos nfs4 rw 0 0\n"
        "host:/x /mnt/my nfs rw 0 0\n"
    )
    assert mount_fstype("/mnt/my photos/2024", str(mounts)) == "nfs4"
    assert mount_fstype("/mnt/my/a", str(mounts)) == "nfs"
    assert mount_fstype("/mnt/mystery", str(mounts)) == "ext4"
    assert mount_fstype("/x", str(tmp_path / "none")) is None


# -- the scans a batch drives --------------------------------------------------------------


def test_a_path_scan_looks_only_at_the_named_paths(tmp_path):
    root = tmp_path / "p"
    for i in range(4):
        _jpeg(root / f"{i}.jpg", (i * 50, 0, 0))
    cat = Catalog(tmp_path / "cat.sqlite3")
    folder_id = cat.add_folder(root)
    assert scan(cat).added == 4
    _jpeg(root / "new.jpg", (0, 0, 200))
    os.remove(root / "0.jpg")
    result = scan(cat, [folder_id], paths=[str(root / "new.jpg")])
    assert (result.seen, result.added, result.missing) == (1, 1, 0)  # 0.jpg not looked at
    result = scan(cat, [folder_id], paths=[str(root / "0.jpg")])
    assert result.missing == 1 and result.missing_ids == [cat.photo_by_path(root / "0.jpg").id]


def test_a_move_is_matched_even_when_only_its_new_path_is_scanned(tmp_path):
    root = tmp_path / "p"
    _jpeg(root / "a" / "x.jpg")
    cat = Catalog(tmp_path / "cat.sqlite3")
    folder_id = cat.add_folder(root)
    scan(cat)
    pid = cat.photo_by_path(root / "a" / "x.jpg").id
    cat.set_decoded(pid, 8, 8, 1, None, full_hash(root / "a" / "x.jpg"))  # as its decode does
    (root / "b").mkdir()
    os.rename(root / "a" / "x.jpg", root / "b" / "x.jpg")
    result = scan(cat, [folder_id], paths=[str(root / "b")])
    assert result.moved_ids == [pid] and cat.photo(pid).path == str(root / "b" / "x.jpg")


def test_a_file_still_being_written_is_deferred(tmp_path):
    root = tmp_path / "p"
    old = _jpeg(root / "old.jpg")
    os.utime(old, (time.time() - 60, time.time() - 60))
    fresh = _jpeg(root / "fresh.jpg", (0, 200, 0))
    cat = Catalog(tmp_path / "cat.sqlite3")
    cat.add_folder(root)
    result = scan(cat, settle=30)
    assert result.added == 1 and result.deferred == [str(fresh)]
    assert cat.photo_by_path(fresh) is None
