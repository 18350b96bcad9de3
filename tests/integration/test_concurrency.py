"""Two processes at once, and edits the content hash cannot see (issue 13, items 4, 7, 9).

Real processes, real files, a real SQLite catalog.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time

import numpy as np
from PIL import Image, ImageDraw

import clipdesk.pipeline.scanner as scanner
from clipdesk.pipeline import steps
from clipdesk.pipeline.library import Library
from clipdesk.pipeline.locks import IndexLock
from clipdesk.worker.state import WorkerLock
from tests.support import polling

CLI = [sys.executable, "-m", "clipdesk"]


def run(*args, check=True):
    proc = subprocess.run([*CLI, *args], capture_output=True, timeout=600, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def start(*args):
    return subprocess.Popen(
        [*CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_until(cond, timeout=60.0):  # support.polling's, with more time: processes start here
    return polling.wait_until(cond, timeout)


def _catalog_file(home):
    return home / "data" / "catalog.sqlite3"


def _count(home, sql):
    with sqlite3.connect(_catalog_file(home), timeout=30) as conn:
        return conn.execute(sql).fetchone()[0]


def test_a_tag_during_the_scan_of_a_big_folder_gets_in(home, shapes, tmp_path):
    run("--model", "test", "add", str(shapes))
    photo = str(sorted(shapes.glob("*.jpg"))[0])
    big = tmp_path / "big"
    big.mkdir()
    for i in range(4000):
        (big / f"{i:04d}.jpg").touch()
    adding = start("--model", "test", "add", str(big))
    try:
        # Some of the big folder is in the catalog (committed), the scan goes on.
        wait_until(lambda: _count(home, "SELECT COUNT(*) FROM photos") > 36)
        tagged = run("tag", photo, "--add", "DuringScan", check=False)
        assert tagged.returncode == 0, tagged.stderr
        assert "Traceback" not in tagged.stderr
    finally:
        out, err = adding.communicate(timeout=600)
    assert adding.returncode == 0, err
    assert "(4000 new" in out, out
    assert "DuringScan" in run("tags", photo).stdout


def test_a_writer_that_meets_a_lock_waits_says_so_once_and_proceeds(home, shapes):
    run("--model", "test", "add", str(shapes))
    photo = str(sorted(shapes.glob("*.jpg"))[0])
    holder = sqlite3.connect(_catalog_file(home), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    tagging = start("tag", photo, "--add", "Waited")
    try:
        line = tagging.stderr.readline()  # blocks until it says it waits
        assert "waiting for another ClipDesk process" in line, line
        time.sleep(1.5)  # it keeps waiting, quietly
        assert tagging.poll() is None
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    out, err = tagging.communicate(timeout=120)
    assert tagging.returncode == 0, err
    assert err.strip() == "", err  # one line in all, no traceback
    assert "Waited" in run("tags", photo).stdout


def _embedded(stdout: str) -> int:
    match = re.search(r"(\d+) embedded", stdout)
    assert match, stdout
    return int(match.group(1))


def test_two_index_runs_at_once_embed_each_photo_once(home, tmp_path):
    from clipdesk.testing.synthetic import write_folder

    folder = tmp_path / "photos"
    folder.mkdir()
    run("--model", "test", "add", str(folder))  # known, empty
    write_folder(folder, 100, seed=3)
    first, second = start("index"), start("index")
    (out1, err1), (out2, err2) = first.communicate(timeout=600), second.communicate(timeout=600)
    assert first.returncode == second.returncode == 0, err1 + err2
    assert _embedded(out1) + _embedded(out2) == 100, out1 + out2
    assert "another index run is in progress (pid" in err1 + err2
    assert _count(home, "SELECT COUNT(*) FROM embeddings") == 100


def test_the_worker_waits_for_an_index_run_in_another_process(home, shapes):
    from clipdesk.worker import Worker

    other = IndexLock(home / "data")  # an index run elsewhere holds the lock
    assert other.try_acquire()
    w = Worker(home, model="test", backend="onnx", watch=False)
    try:
        w.start()
        w.add_folder(shapes).result(60)
        wait_until(lambda: _count(home, "SELECT COUNT(*) FROM photos") == 36)
        time.sleep(2)  # the worker had time to embed; it must not have
        assert _count(home, "SELECT COUNT(*) FROM embeddings") == 0
        other.release()
        wait_until(lambda: _count(home, "SELECT COUNT(*) FROM embeddings") == 36, 120)
    finally:
        other.release()
        w.stop()


def test_a_killed_workers_temporary_files_are_removed_at_start(tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a pid that is not alive any more
    data = tmp_path / "data"
    data.mkdir()
    stray = data / f"watch.{gone.pid}.tmp"
    stray.write_text("{half written")
    alive = data / f"watch.{os.getppid()}.tmp"  # a live process's file is its own business
    alive.write_text("{}")
    lock = WorkerLock(data)
    lock.acquire()
    try:
        assert not stray.exists()
        assert alive.exists()
    finally:
        lock.release()


def test_a_same_size_edit_is_embedded_again_and_an_unchanged_scan_reads_nothing(
    home, tmp_path, monkeypatch
):
    folder = tmp_path / "p"
    folder.mkdir()
    bmp = folder / "wide.bmp"
    Image.new("RGB", (1024, 1024), (220, 30, 30)).save(bmp)  # 3 MB
    lib = Library(home, "test", "onnx")
    try:
        lib.catalog.add_folder(folder)
        first, _ = steps.index(lib)
        assert first.embedded == 1
        (photo_id,) = first.embedded_ids
        old = lib.catalog.embedding(photo_id, lib.model_id)
        size, before = bmp.stat().st_size, scanner.content_hash(bmp)

        # Repaint over 85% of the picture, all but the rows the hash samples (the first,
        # middle and last 64 KiB of the file: about 21 rows each). Its mtime moves, as
        # with any edit: that is what says it changed.
        image = Image.open(bmp).convert("RGB")
        draw = ImageDraw.Draw(image)
        draw.rectangle((0, 24, 1023, 495), fill=(20, 40, 230))
        draw.rectangle((0, 530, 1023, 1000), fill=(20, 40, 230))
        image.save(bmp)
        assert bmp.stat().st_size == size
        assert scanner.content_hash(bmp) == before  # the samples alone cannot tell

        second, _ = steps.index(lib)
        assert (second.scan.changed, second.embedded) == (1, 1)
        new = lib.catalog.embedding(photo_id, lib.model_id)
        assert float(np.dot(old, new)) < 0.999  # the old embedding was replaced
        with Image.open(lib.thumbnails.path_for(before)) as thumb:  # and the thumbnail
            red, _, blue = thumb.convert("RGB").resize((1, 1), Image.BOX).getpixel((0, 0))
        assert blue > red, (red, blue)

        reads = []
        real = scanner.content_hash
        monkeypatch.setattr(scanner, "content_hash", lambda *a: reads.append(a) or real(*a))
        third, _ = steps.index(lib)
        assert (third.scan.seen, third.scan.changed, third.embedded) == (1, 0, 0)
        assert reads == []  # stat only
    finally:
        lib.close()
