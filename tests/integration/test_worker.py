"""The background worker with the real test model, real folders and real watchdog observers."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from clipdesk.tagging.corrections import decide
from clipdesk.tagging.store import TagStore
from clipdesk.testing.synthetic import write_folder
from clipdesk.worker import Priority, Worker
from tests.support.catalog_reads import count, query
from tests.support.polling import wait_until
from tests.support.worker_events import Events

# Long enough to interrupt part-way: the test model embeds a few hundred small photos a second.
LONG_RUN = 600


CLI = [sys.executable, "-m", "clipdesk.cli", "--model", "test", "--backend", "onnx"]


def cli_status() -> str:
    """`clipdesk status` output (in this process: it reads what the worker wrote to disk)."""
    import contextlib
    import io

    from clipdesk.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--model", "test", "--backend", "onnx", "status"]) == 0
    return out.getvalue()


def settings(home: Path, **values) -> None:
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "settings.json").write_text(json.dumps({"model": "test", **values}))


def _photo_id(home, path) -> int | None:
    rows = query(home, "SELECT id FROM photos WHERE path = ?", str(path))
    return rows[0][0] if rows else None


def _embedding(home, photo_id):
    rows = query(home, "SELECT vector FROM embeddings WHERE photo_id = ?", photo_id)
    return rows[0][0] if rows else None


def test_new_photos_are_indexed_and_tagged_without_asking(home, start, tmp_path, shapes_dir):
    folder = tmp_path / "watched"
    folder.mkdir()
    w, ev = start(folder)
    assert w.wait_idle(20)
    for name in sorted(os.listdir(shapes_dir))[:3]:
        shutil.copy(shapes_dir / name, folder / name)
    wait_until(lambda: count(home, "SELECT COUNT(*) FROM embeddings") == 3)
    ids = {i for (i,) in query(home, "SELECT id FROM photos")}
    wait_until(lambda: ids <= set(ev.ids("tags_changed")))
    assert count(home, "SELECT COUNT(*) FROM photo_tags WHERE state = 'suggested'") > 0
    assert set(ev.ids("photo_added")) == ids and set(ev.ids("photo_indexed")) == ids


def test_an_edited_photo_is_indexed_again_under_its_id(home, start, shapes):
    w, ev = start(shapes)
    wait_until(lambda: count(home, "SELECT COUNT(*) FROM embeddings") == 36)
    names = sorted(os.listdir(shapes))
    target = shapes / names[0]
    pid = _photo_id(home, target)
    before = _embedding(home, pid)
    shutil.copy(shapes / names[1], target)  # new content at the same path
    wait_until(lambda: pid in ev.ids("photo_changed"))
    wait_until(lambda: (v := _embedding(home, pid)) is not None and v != before)
    assert count(home, "SELECT COUNT(*) FROM photos") == 36


def test_moves_of_files_and_folders_keep_ids_embeddings_and_tags(home, start, shapes):
    names = sorted(os.listdir(shapes))
    (shapes / "album").mkdir()
    for name in names[:4]:
        os.rename(shapes / name, shapes / "album" / name)
    w, ev = start(shapes)
    wait_until(lambda: count(home, "SELECT COUNT(*) FROM embeddings") == 36)
    assert w.wait_idle(20)
    renamed, inside = shapes / names[10], shapes / "album" / names[0]
    pid, pid_inside = _photo_id(home, renamed), _photo_id(home, inside)
    vec, vec_inside = _embedding(home, pid), _embedding(home, pid_inside)

    def confirm(lib):
        tag = TagStore(lib.catalog).get("Shape|circle")
        decide(lib.catalog, [pid, pid_inside], tag.id, "confirmed")
        return tag.id

    tag_id = w.submit(confirm).result(30)
    indexed_before = len(ev.ids("photo_indexed"))
    os.rename(renamed, shapes / "renamed.jpg")
    os.rename(shapes / "album", shapes / "album 2024")
    wait_until(lambda: _photo_id(home, shapes / "renamed.jpg") == pid)
    wait_until(lambda: _photo_id(home, shapes / "album 2024" / names[0]) == pid_inside)
    assert w.wait_idle(20)
    assert _embedding(home, pid) == vec and _embedding(home, pid_inside) == vec_inside
    assert len(ev.ids("photo_indexed")) == indexed_before  # nothing embedded again
    states = query(
        home, "SELECT photo_id, state FROM photo_tags WHERE tag_id = ? AND source = 'user'", tag_id
    )
    assert sorted(states) == sorted([(pid, "confirmed"), (pid_inside, "confirmed")])
    assert count(home, "SELECT COUNT(*) FROM photos") == 36
    assert count(home, "SELECT COUNT(*) FROM photos WHERE status != 'indexed'") == 0


def test_a_deleted_photo_is_kept_as_missing(home, start, shapes):
    w, ev = start(shapes)
    wait_until(lambda: count(home, "SELECT COUNT(*) FROM embeddings") == 36)
    victim = shapes / sorted(os.listdir(shapes))[5]
    pid = _photo_id(home, victim)
    os.remove(victim)
    wait_until(lambda: query(home, "SELECT status FROM photos WHERE id = ?", pid) == [("missing",)])
    assert pid in ev.ids("photo_missing") and _embedding(home, pid) is not None


def test_a_burst_of_300_files_is_one_batch_and_all_get_indexed(home, start, tmp_path):
    staging, folder = tmp_path / "card", tmp_path / "watched"
    write_folder(staging, 300, seed=5, size=(64, 48))
    folder.mkdir()
    w, ev = start(folder)
    assert w.wait_idle(20)
    batches, scans = w.watcher.batches, w.jobs_run["scan"]
    data = [(p.name, p.read_bytes()) for p in sorted(staging.iterdir())]
    for name, content in data:  # as fast as a card reader: one burst
        (folder / name).write_bytes(content)
    wait_until(lambda: count(home, "SELECT COUNT(*) FROM embeddings") == 300, timeout=60)
    assert w.watcher.batches - batches == 1  # 300 files, one batch
    assert w.jobs_run["scan"] - scans == 1  # and one scan
    assert len(ev.ids("photo_added")) == 300


def test_a_photo_written_slowly_is_indexed_once_when_complete(home, start, tmp_path, shapes_dir):
    folder = tmp_path / "watched"
    folder.mkdir()
    w, ev = start(folder, debounce=0.6)
    assert w.wait_idle(20)
    content = (shapes_dir / sorted(os.listdir(shapes_dir))[0]).read_bytes()
    target = folder / "slow.jpg"
    chunks = [
        content[i : i + len(content) // 8 + 1]
        for i in range(0, len(content), len(content) // 8 + 1)
    ]
    with open(target, "wb") as f:  # a slow copy: 0.15 s between chunks, 4x inside debounce
        for chunk in chunks:
            f.write(chunk)
            f.flush()
            time.sleep(0.15)
    wait_until(lambda: _photo_id(home, target) and _embedding(home, _photo_id(home, target)))
    assert w.wait_idle(20)
    pid = _photo_id(home, target)
    row = query(home, "SELECT status, error, size FROM photos WHERE id = ?", pid)[0]
    assert row == ("indexed", None, len(content))
    assert ev.ids("photo_indexed").count(pid) == 1 and not ev.ids("photo_failed")
    assert ev.ids("photo_added") == [pid] and not ev.ids("photo_changed")


def test_a_removed_folder_comes_back_with_its_tags(home, start, shapes, tmp_path):
    w, ev = start(shapes)
    wait_until(lambda: count(home, "SELECT COUNT(*) FROM embeddings") == 36)
    pid = _photo_id(home, shapes / sorted(os.listdir(shapes))[0])

    def confirm(lib):
        tag = TagStore(lib.catalog).get("Colour|red")
        decide(lib.catalog, [pid], tag.id, "confirmed")
        return tag.id

    tag_id = w.submit(confirm).result(30)
    away = tmp_path / "unplugged"
    os.rename(shapes, away)  # the drive goes away
    wait_until(lambda: count(home, "SELECT COUNT(*) FROM photos WHERE status = 'missing'") == 36)
    wait_until(lambda: w.status()["folders"][0]["watched_by"] == "missing")
    assert any(e.kind == "folder_missing" for e in ev.events)
    os.rename(away, shapes)  # and comes back
    wait_until(lambda: count(home, "SELECT COUNT(*) FROM photos WHERE status = 'indexed'") == 36)
    wait_until(lambda: w.status()["folders"][0]["watched_by"] == "events")
    assert any(e.kind == "folder_restored" for e in ev.events)
    assert query(
        home, "SELECT state, source FROM photo_tags WHERE photo_id = ? AND tag_id = ?", pid, tag_id
    ) == [("confirmed", "user")]
    assert count(home, "SELECT COUNT(*) FROM embeddings") == 36


def test_pause_stops_embedding_between_batches_and_resume_goes_on(home, start, tmp_path):
    settings(home, batch_size=4)
    photos = tmp_path / "many"
    write_folder(photos, LONG_RUN, seed=4, size=(128, 96))
    w, ev = start(photos, vocab=False)
    wait_until(lambda: count(home, "SELECT COUNT(*) FROM embeddings") >= 8, interval=0.01)
    w.pause()
    wait_until(lambda: w.status()["phase"] == "paused")
    paused_at = count(home, "SELECT COUNT(*) FROM embeddings")
    assert paused_at < LONG_RUN, "paused too late to tell"
    done = w.submit(lambda lib: "user work runs while paused").result(10)
    assert done == "user work runs while paused"
    time.sleep(1.0)  # a window in which a running indexer would have stored batches
    assert count(home, "SELECT COUNT(*) FROM embeddings") == paused_at
    assert ev.progress[-1].paused
    w.resume()
    wait_until(lambda: count(home, "SELECT COUNT(*) FROM embeddings") == LONG_RUN, timeout=60)


def test_user_jobs_jump_the_queue_and_cancel_drops_the_run(home, start, tmp_path):
    settings(home, batch_size=4)
    photos = tmp_path / "many"
    write_folder(photos, LONG_RUN, seed=6, size=(128, 96))
    w, _ = start(photos, vocab=False)
    wait_until(lambda: count(home, "SELECT COUNT(*) FROM embeddings") >= 4, interval=0.01)
    seen = w.submit(
        lambda lib: lib.catalog.conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0],
        Priority.USER,
    ).result(10)
    assert seen < LONG_RUN  # it ran between two batches, not after the whole run
    wait_until(lambda: w.status()["phase"] == "embed")  # the indexer is back at work
    w.cancel_current()  # drops it at the next batch; the rest stays pending
    assert w.wait_idle(20)
    cancelled_at = count(home, "SELECT COUNT(*) FROM embeddings")
    assert seen <= cancelled_at < LONG_RUN
    w.request_index()  # and is picked up again on request
    wait_until(lambda: count(home, "SELECT COUNT(*) FROM embeddings") == LONG_RUN, timeout=60)


def test_stop_mid_run_leaves_no_threads_and_whole_batches(home, tmp_path):
    settings(home, batch_size=4)
    photos = tmp_path / "many"
    write_folder(photos, LONG_RUN, seed=8, size=(128, 96))
    before = set(threading.enumerate())
    w = Worker(home, model="test", backend="onnx", debounce=0.3)
    w.start()
    w.add_folder(photos).result(30)
    wait_until(lambda: count(home, "SELECT COUNT(*) FROM embeddings") >= 8, interval=0.01)
    w.stop()
    assert not w.running
    wait_until(lambda: not (set(threading.enumerate()) - before), timeout=10)
    assert query(home, "PRAGMA integrity_check") == [("ok",)]
    # Every embedding was stored with its photo's decode results, in one transaction.
    assert (
        count(
            home,
            "SELECT COUNT(*) FROM embeddings e JOIN photos p ON p.id = e.photo_id "
            "WHERE p.width IS NULL",
        )
        == 0
    )
    assert count(home, "SELECT COUNT(*) FROM embeddings") < LONG_RUN


def test_sigkill_during_watch_then_the_next_start_resumes(home, tmp_path):
    settings(home, batch_size=4)
    photos = tmp_path / "many"
    write_folder(photos, LONG_RUN, seed=3, size=(128, 96))
    proc = subprocess.Popen(
        [*CLI, "watch", str(photos)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_until(
            lambda: (
                (home / "data" / "catalog.sqlite3").exists()
                and count(home, "SELECT COUNT(*) FROM embeddings") >= 8
            ),
            timeout=60,
            interval=0.01,
        )
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert query(home, "PRAGMA integrity_check") == [("ok",)]
    kept = {i for (i,) in query(home, "SELECT photo_id FROM embeddings")}
    assert 8 <= len(kept) < LONG_RUN, "the run must be killed part-way"
    assert "not running" in cli_status()  # the lock died with the process

    events = Events()
    with Worker(home, model="test", backend="onnx", on_event=events, debounce=0.3) as w:
        wait_until(lambda: count(home, "SELECT COUNT(*) FROM embeddings") == LONG_RUN, timeout=60)
        assert w.wait_idle(20)
    assert not kept & set(events.ids("photo_indexed"))  # finished photos were kept
    assert len(events.ids("photo_indexed")) == LONG_RUN - len(kept)
    assert query(home, "PRAGMA integrity_check") == [("ok",)]


def test_status_says_how_each_folder_is_watched(home, start, shapes):
    w, _ = start(shapes, vocab=False)
    wait_until(lambda: w.status()["folders"] and w.status()["folders"][0]["photos"] == 36)
    folder = w.status()["folders"][0]
    assert folder["path"] == str(shapes) and folder["watched_by"] == "events"
    out = cli_status()
    assert f"running (pid {os.getpid()})" in out and "watched by events" in out
    second = Worker(home, model="test", backend="onnx")
    with pytest.raises(RuntimeError, match="already"):
        second.start()
    w.stop()
    out = cli_status()
    assert "not running" in out and "watched by" not in out


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_watch_command_stops_cleanly_on_a_signal(home, shapes, sig):
    proc = subprocess.Popen(
        [*CLI, "watch", str(shapes)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_until(
            lambda: (
                (home / "data" / "watch.json").exists()
                and count(home, "SELECT COUNT(*) FROM embeddings") == 36
            ),
            timeout=60,
        )
        assert "running" in cli_status()
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "added 36 photos" in out and "Ctrl-C to stop" in err and "Traceback" not in err
    assert not (home / "data" / "watch.json").exists() and "not running" in cli_status()


@pytest.fixture
def decodes(monkeypatch):
    """Every call of the imaging decode function, by path, through a recording wrapper
    installed wherever a clipdesk module holds it."""
    import clipdesk.imaging as imaging

    real, calls = imaging.decode, []
    lock = threading.Lock()

    def recording(path, *args, **kwargs):
        with lock:
            calls.append(os.fsdecode(path))
        return real(path, *args, **kwargs)

    for name, module in list(sys.modules.items()):
        if name.startswith("clipdesk") and getattr(module, "decode", None) is real:
            monkeypatch.setattr(module, "decode", recording)
    return calls


def _per_path(calls, folder) -> dict[str, int]:
    from collections import Counter

    return dict(Counter(p for p in calls if p.startswith(str(folder))))


def test_a_new_photo_is_decoded_once_for_its_thumbnail_and_its_embedding(
    home, start, tmp_path, shapes_dir, decodes
):
    # Before the model is loaded (the first folder): the thumbnail pass keeps the image.
    first = tmp_path / "first"
    first.mkdir()
    names = sorted(os.listdir(shapes_dir))
    for name in names[:6]:
        shutil.copy(shapes_dir / name, first / name)
    (first / "broken.jpg").write_bytes((shapes_dir / names[0]).read_bytes()[:300])
    w, ev = start(first)
    wait_until(lambda: count(home, "SELECT COUNT(*) FROM embeddings") == 6)
    assert w.wait_idle(20)
    thumbs = w.submit(lambda lib: lib.thumbnails).result(30)
    hashes = [h for (h,) in query(home, "SELECT hash FROM photos WHERE status = 'indexed'")]
    assert len(hashes) == 6 and all(thumbs.has(h) for h in hashes)
    assert _per_path(decodes, first) == {str(first / n): 1 for n in [*names[:6], "broken.jpg"]}
    assert count(home, "SELECT COUNT(*) FROM photos WHERE status = 'failed'") == 1

    # With the model loaded (new photos arrive while the app runs): the model's input.
    second = tmp_path / "second"
    second.mkdir()
    w.add_folder(second).result(30)
    assert w.wait_idle(20)
    for name in names[6:10]:
        shutil.copy(shapes_dir / name, second / name)
    wait_until(lambda: count(home, "SELECT COUNT(*) FROM embeddings") == 10)
    assert w.wait_idle(20)
    assert _per_path(decodes, second) == {str(second / n): 1 for n in names[6:10]}
    assert w.decoded.hits >= 10 and len(w.decoded) == 0
    # Thumbnails came first: each photo's thumbnail was announced before its embedding.
    ready, indexed = ev.ids("thumbnails_ready"), ev.ids("photo_indexed")
    assert set(indexed) <= set(ready)


def test_photos_decoded_ahead_embed_exactly_as_a_fresh_decode(embedder, shapes, tmp_path):
    from clipdesk.catalog import Catalog
    from clipdesk.imaging import ThumbnailCache
    from clipdesk.pipeline.decoded import DecodedCache, decode_ahead
    from clipdesk.pipeline.indexer import Indexer

    vectors = []
    for run, model in enumerate((None, None, embedder)):  # no cache; image; model input
        catalog = Catalog(tmp_path / f"c{run}.sqlite3")
        catalog.add_folder(shapes)
        thumbs = ThumbnailCache(tmp_path / f"t{run}")
        cache = None if run == 0 else DecodedCache()
        indexer = Indexer(catalog, embedder, thumbs, decoded=cache)
        from clipdesk.pipeline.scanner import scan

        scan(catalog, None)
        if cache is not None:
            for row in catalog.new_photos():
                assert decode_ahead(row, thumbs, cache, model)
        result = indexer.embed_pending()
        assert result.embedded == 36 and not result.failed
        if cache is not None:
            assert cache.hits == 36 and len(cache) == 0 and cache.nbytes == 0
        ids = sorted(result.embedded_ids)
        vectors.append([catalog.embedding(i, indexer.model_id) for i in ids])
        catalog.close()
    for other in vectors[1:]:
        for a, b in zip(vectors[0], other, strict=True):
            assert a is not None and (a == b).all()
