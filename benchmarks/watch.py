"""Watched folders: landing-to-tagged delay, unchanged re-scan of a 100k-file tree, a burst.

(a) delay from a photo landing in a watched folder (written and closed) to its embedding
    and then its tags being stored, with the model warm, ONNX on the CPU: the test model
    and ViT-B-32 with random weights, on 24 MP photo-like JPEGs, at the default debounce
    (1 s: the quiet time that tells a finished copy from one still running) and at 0.25 s;
(b) scanning a tree of tiny distinct PNGs: the first scan (hashes every file), the re-scan
    of the unchanged tree (one stat per file), and the path-limited scan one watcher batch
    of one file costs in that tree;
(c) a burst of small photos written at once into a watched folder (the test model): time
    until all are embedded and tagged, and how many watcher batches and jobs it became.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from common import DATA, ONNX_DIR, RANDOM_VIT, WEIGHTS_DIR, header, photos, row, timer
from PIL import Image

from clipdesk.catalog import Catalog
from clipdesk.pipeline.scanner import scan
from clipdesk.tagging.store import TagStore
from clipdesk.testing.synthetic import write_folder
from clipdesk.worker import Worker

SHAPES_VOCAB = Path(__file__).resolve().parents[1] / "tests" / "data" / "shapes_vocabulary.yaml"


class Watch:
    """When each photo id was added, embedded and tagged, from the worker's events."""

    def __init__(self):
        self.added: dict[int, float] = {}
        self.indexed: dict[int, float] = {}
        self.tagged: dict[int, float] = {}
        self.cond = threading.Condition()

    def __call__(self, e) -> None:
        now = time.perf_counter()
        seen = {
            "photo_added": self.added,
            "photo_indexed": self.indexed,
            "tags_changed": self.tagged,
        }.get(e.kind)
        if seen is not None:
            with self.cond:
                seen.update(dict.fromkeys(e.photo_ids, now))
                self.cond.notify_all()

    def wait(self, cond, timeout: float = 600) -> None:
        with self.cond:
            if not self.cond.wait_for(cond, timeout):
                raise TimeoutError("the worker did not finish in time")


def _home(root: Path) -> Path:
    """A ClipDesk home that shares the benchmarks' ONNX exports and weights."""
    home = root / "home"
    (home / "cache").mkdir(parents=True)
    ONNX_DIR.mkdir(parents=True, exist_ok=True)
    WEIGHTS_DIR.mkdir(parents=True, exist_ok=True)
    os.symlink(ONNX_DIR, home / "cache" / "onnx")
    os.symlink(WEIGHTS_DIR, home / "cache" / "weights")
    return home


def _worker(home: Path, model, debounce: float, watch: Watch) -> Worker:
    import torch

    torch.manual_seed(0)  # the random model's export is cached with its first weights
    w = Worker(home, model=model, backend="onnx", on_event=watch, debounce=debounce)
    w.start()
    w.submit(lambda lib: TagStore(lib.catalog).import_file(SHAPES_VOCAB)).result()
    return w


def landing_delay(label: str, model, sources: list[Path], debounce: float) -> None:
    with tempfile.TemporaryDirectory(dir=DATA) as tmp:
        folder = Path(tmp) / "watched"
        folder.mkdir()
        watch = Watch()
        w = _worker(_home(Path(tmp)), model, debounce, watch)
        try:
            w.add_folder(folder).result()
            w.wait_idle()
            to_index, to_tag = [], []
            for i, src in enumerate(sources):  # the first one warms the model and the tags
                known = set(watch.added)
                shutil.copyfile(src, folder / f"landed_{i}.jpg")
                landed = time.perf_counter()
                watch.wait(lambda known=known: set(watch.added) - known)
                (pid,) = set(watch.added) - known
                watch.wait(lambda pid=pid: pid in watch.tagged)
                if i:
                    to_index.append(watch.indexed[pid] - landed)
                    to_tag.append(watch.tagged[pid] - landed)
                w.wait_idle()
        finally:
            w.stop()
    note = f"median of {len(to_tag)}, min {min(to_tag):.2f} max {max(to_tag):.2f}"
    print(f"   {label}")
    row("  landed -> embedded", statistics.median(to_index), "s")
    row("  landed -> tags stored", statistics.median(to_tag), "s", note)


def tiny_tree(n: int) -> Path:
    """``n`` distinct 1x1 PNGs, 1,000 per folder, generated once."""
    root = DATA / f"tree-{n}"
    marker = root / ".complete"
    if marker.exists():
        return root
    print(f"generating {n} tiny PNGs in {root} (once)...", flush=True)
    shutil.rmtree(root, ignore_errors=True)
    for i in range(n):
        d = root / f"d{i // 1000:04d}"
        if i % 1000 == 0:
            d.mkdir(parents=True)
        Image.new("RGB", (1, 1), (i & 255, (i >> 8) & 255, (i >> 16) & 255)).save(d / f"{i}.png")
    marker.touch()
    return root


def rescan(n: int) -> None:
    root = tiny_tree(n)
    with tempfile.TemporaryDirectory(dir=DATA) as tmp:
        cat = Catalog(Path(tmp) / "catalog.sqlite3")
        folder_id = cat.add_folder(root)
        with timer() as first:
            r1 = scan(cat)
        with timer() as again:
            r2 = scan(cat)
        one = root / "d0000" / "0.png"
        with timer() as batch:
            r3 = scan(cat, [folder_id], paths=[str(one)])
        cat.close()
    assert r1.added == n and r2.seen == n and (r2.added, r2.changed) == (0, 0) and r3.seen == 1
    row(f"first scan of {n} files (hashing)", first[0], "s", f"{n / first[0]:,.0f} files/s")
    row(f"re-scan of the unchanged {n} files", again[0], "s", f"{n / again[0]:,.0f} files/s")
    row("path scan of one watcher batch (1 file)", batch[0] * 1000, "ms")


def burst(n: int) -> None:
    with tempfile.TemporaryDirectory(dir=DATA) as tmp:
        staging, folder = Path(tmp) / "card", Path(tmp) / "watched"
        write_folder(staging, n, seed=11, size=(160, 120))
        files = [(p.name, p.read_bytes()) for p in sorted(staging.iterdir())]
        folder.mkdir()
        watch = Watch()
        w = _worker(_home(Path(tmp)), "test", 1.0, watch)
        try:
            w.add_folder(folder).result()
            w.wait_idle()
            batches, jobs = w.watcher.batches, dict(w.jobs_run)
            start = time.perf_counter()
            for name, data in files:
                (folder / name).write_bytes(data)
            written = time.perf_counter() - start
            watch.wait(lambda: len(watch.indexed) >= n)
            embedded = max(watch.indexed.values()) - start
            watch.wait(lambda: len(watch.tagged) >= n)
            tagged = max(watch.tagged.values()) - start
            w.wait_idle()
            jobs = {k: v - jobs.get(k, 0) for k, v in w.jobs_run.items() if v - jobs.get(k, 0)}
            batches = w.watcher.batches - batches
        finally:
            w.stop()
    row(f"burst of {n}: writing the files", written, "s")
    row(f"burst of {n}: until all embedded", embedded, "s", f"{n / embedded:.1f} photos/s")
    row(f"burst of {n}: until all tagged", tagged, "s")
    print(f"   watcher batches: {batches}; jobs run: {jobs}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller tree and burst, fewer trials")
    ap.add_argument("--only", choices=("delay", "rescan", "burst"))
    args = ap.parse_args()
    header("watched folders")
    DATA.mkdir(parents=True, exist_ok=True)
    if args.only in (None, "delay"):
        sources = photos(4 if args.quick else 8)
        for label, model in (("test model", "test"), ("ViT-B-32 random", RANDOM_VIT)):
            for debounce in (1.0, 0.25):
                landing_delay(f"{label}, debounce {debounce:g}s", model, sources, debounce)
    if args.only in (None, "rescan"):
        rescan(10_000 if args.quick else 100_000)
    if args.only in (None, "burst"):
        burst(500 if args.quick else 2000)


if __name__ == "__main__":
    main()
