"""A correction changes the suggestions on other photos: how soon, at 100k photos.

Budget (DESIGN.md): a correction in the window changes the suggestions shown on other
photos within 300 ms at 100k photos.

The library: 72 generated photos indexed with the test model (ONNX Runtime) and the test
model's own vocabulary (colours and shapes), then grown to ``--photos`` rows whose vectors
are those photos' embeddings with a little noise, scored like any library.

1. Direct: the decisions, then ``ops.learning.learn_pending`` (retrain the decided tag's
   head, re-score the library for it), timed in this process.
2. Through the worker, as the window does it: a running Worker (no watcher) gets the
   decisions as a user call, and the clock stops at the TAGS_CHANGED event that names
   other photos than the decided ones. Side by side: the worker with the learning delay
   it had before (3 s after the last decision) and with today's.

Each run decides on a tag of its own, as a user would: its two most confident wrong
suggestions rejected, two photos that show it but lack it confirmed.

Run: .venv/bin/python benchmarks/correction_latency.py [--photos 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from common import header, median, row

from clipdesk.catalog import Catalog
from clipdesk.ops import learning
from clipdesk.ops import tags as tag_ops
from clipdesk.ops.folders import add_folders
from clipdesk.ops.model_vocabulary import use_model_vocabulary
from clipdesk.pipeline import steps
from clipdesk.pipeline.library import Library
from clipdesk.testing.synthetic import COLOURS, SHAPES, write_folder
from clipdesk.worker.events import EventKind, WorkerEvent
from clipdesk.worker.service import Worker

OLD_DELAY = 3.0  # the learning delay before this benchmark existed


def build(home: Path, n: int) -> None:
    photos = home.parent / "photos"
    write_folder(photos, 72, seed=3)
    lib = Library(home, model="test", backend="onnx")
    try:
        lib.remember_engine()
        use_model_vocabulary(lib)
        add_folders(lib, [photos])
        steps.index(lib)
        ids, matrix = lib.catalog.embedding_matrix(lib.model_id)
        model_id = lib.model_id
    finally:
        lib.close()
    rng = np.random.default_rng(0)
    cat = Catalog(home / "data" / "catalog.sqlite3")
    folder = cat.add_folder("/bench/photos")
    names = {
        i: Path(p).stem.split("_", 1)[1] for i, p in cat.conn.execute("SELECT id, path FROM photos")
    }
    with cat.transaction() as conn:
        for i in range(n - len(ids)):
            like = int(ids[i % len(ids)])  # a copy of this photo: its colour and shape too
            v = matrix[i % len(ids)] + 0.02 * rng.standard_normal(matrix.shape[1])
            v = (v / np.linalg.norm(v)).astype(np.float32)
            cur = conn.execute(
                "INSERT INTO photos(folder_id, path, size, mtime_ns, hash, width, height, "
                "status, updated_at) VALUES (?, ?, 1, ?, ?, 640, 480, 'indexed', 0)",
                (folder, f"/bench/{i // 1000:03d}/{i:06d}_{names[like]}.jpg", i, f"{i:032x}"),
            )
            conn.execute(
                "INSERT INTO embeddings(photo_id, model_id, vector) VALUES (?, ?, ?)",
                (cur.lastrowid, model_id, v.tobytes()),
            )
    cat.close()
    lib = Library(home, model="test", backend="onnx")
    try:
        lib.after_embedding()  # score the grown library once
    finally:
        lib.close()


def decisions(lib: Library, tag: str, k: int) -> tuple[int, list[int], list[int]]:
    """A tag and the photos a user would correct (the file names say what each shows): up
    to ``k`` of its most confident wrong suggestions to reject (else its weakest ones), and
    ``k`` photos that show it but lack it, to confirm."""
    tag_id = tag_ops.find_tag(lib, tag).id
    conn, name = lib.catalog.conn, f"%\\_{tag.lower()}%"
    wrong = [
        r[0]
        for r in conn.execute(
            "SELECT t.photo_id FROM photo_tags t JOIN photos p ON p.id = t.photo_id "
            "WHERE t.tag_id = ? AND t.state = 'suggested' AND p.path NOT LIKE ? ESCAPE '\\' "
            "ORDER BY t.score DESC LIMIT ?",
            (tag_id, name, k),
        )
    ] or [
        r[0]
        for r in conn.execute(
            "SELECT photo_id FROM photo_tags WHERE tag_id = ? AND state = 'suggested' "
            "ORDER BY score LIMIT ?",
            (tag_id, k),
        )
    ]
    missed = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM photos WHERE path LIKE ? ESCAPE '\\' AND id NOT IN "
            "(SELECT photo_id FROM photo_tags WHERE tag_id = ?) ORDER BY id DESC LIMIT ?",
            (name, tag_id, k),
        )
    ]
    return tag_id, wrong, missed


def decide(lib: Library, tag_id: int, reject: list[int], confirm: list[int]) -> None:
    tag_ops.decide(lib, reject, tag_id, "rejected")
    tag_ops.decide(lib, confirm, tag_id, "confirmed")


def direct(home: Path, tags: list[str]) -> None:
    lib = Library(home, model="test", backend="onnx")
    try:
        lib.tagger  # noqa: B018 - loads what a running worker already has
        times, changed = [], []
        for tag in tags:
            tag_id, sug, miss = decisions(lib, tag, 2)
            decide(lib, tag_id, sug, miss)
            before = dict(
                lib.catalog.conn.execute(
                    "SELECT photo_id, state FROM photo_tags WHERE tag_id = ?", (tag_id,)
                ).fetchall()
            )
            t = time.perf_counter()
            learning.learn_pending(lib)
            times.append((time.perf_counter() - t) * 1000)
            after = dict(
                lib.catalog.conn.execute(
                    "SELECT photo_id, state FROM photo_tags WHERE tag_id = ?", (tag_id,)
                ).fetchall()
            )
            changed.append(len(set(before.items()) ^ set(after.items())))
        row("retrain + re-score one tag, median", median(times), "ms")
        row("  photos whose suggestion changed", float(median(changed)), "")
    finally:
        lib.close()


def through_worker(home: Path, tags: list[str], delay: float | None) -> list[float]:
    got: list[tuple[float, WorkerEvent]] = []
    arrived = threading.Event()

    def on_event(e: WorkerEvent) -> None:
        if e.kind == EventKind.TAGS_CHANGED:
            got.append((time.perf_counter(), e))
            arrived.set()

    kw = {} if delay is None else {"learn_delay": delay}
    w = Worker(home, model="test", backend="onnx", watch=False, on_event=on_event, **kw)
    w.start()
    try:
        w.wait_idle(600)
        times = []
        for tag in tags:
            plan = w.submit(lambda lib, t=tag: decisions(lib, t, 2)).result()
            tag_id, sug, miss = plan
            mine = set(sug) | set(miss)
            got.clear()
            t = time.perf_counter()
            w.submit(lambda lib, p=plan: decide(lib, p[0], p[1], p[2])).result()
            end = None
            while end is None and arrived.wait(30):
                arrived.clear()
                for at, e in list(got):
                    others = not e.photo_ids or set(e.photo_ids) - mine
                    if (not e.tag_ids or tag_id in e.tag_ids) and others and at > t:
                        end = at
            times.append((end - t) * 1000 if end else float("inf"))
            w.wait_idle(60)
        return times
    finally:
        w.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--photos", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="clipdesk-bench-") as tmp:
        home = Path(tmp) / "home"
        t = time.perf_counter()
        build(home, args.photos)
        header(f"a correction at {args.photos:,} photos (built in {time.perf_counter() - t:.0f} s)")
        # A tag of its own for each run, so that every run's decisions move a fresh head.
        tags = [n.capitalize() for n in (*COLOURS, *SHAPES)]
        assert args.runs * 3 <= len(tags), f"at most {len(tags) // 3} runs"
        runs = [tags[i * args.runs : (i + 1) * args.runs] for i in range(3)]
        direct(home, runs[0])
        old = through_worker(home, runs[1], OLD_DELAY)
        new = through_worker(home, runs[2], None)
        row(f"worker, learning {OLD_DELAY:.0f} s after the last decision", median(old), "ms")
        row("worker, today's policy", median(new), "ms", "budget 300 ms")
        row("  ratio today / before", median(new) / median(old), "x")


if __name__ == "__main__":
    main()
