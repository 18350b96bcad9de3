"""The window stays responsive: event-loop stalls while indexing, start-up time, memory at 100k.

1. Stalls: a QTimer ticking every 10 ms measures the longest gap in the GUI event loop from
   the window on screen until "Up to date", while the worker scans, makes thumbnails, loads
   the model (only once a photo needs it) and indexes a folder of JPEGs (24 MP unless
   ``--photo-size``) with the test model on ONNX Runtime (export cached after the first
   run; the very first run imports torch and exports the model meanwhile), and the grid
   is scrolled every 50 ms as a user would. Budget (DESIGN.md): no gap over 100 ms.
2. Start-up: a fresh process runs `clipdesk` (no command); the time from process start to
   the window on screen, whether torch was imported by then, and the time until a 100k-photo
   grid is listed.
3. Memory: the resident set size of the window over a catalog of 100k fake photos (rows and
   embeddings inserted directly; 500 distinct thumbnails shared between them), before and
   after scrolling through the whole grid, and the time per scroll step.

Run: QT_QPA_PLATFORM=offscreen python benchmarks/gui_responsiveness.py [--quick]
     [--photos 1000 --photo-size 1200x800] [--only stalls]
     [--switch-interval 5 --switch-interval 1 --rounds 2]  (stalls under each GIL switch
     interval, alternating; Python's default, which the app keeps, is 5 ms)

To see what a stall waited on: CLIPDESK_TRACE_STALLS=FILE (and CLIPDESK_TRACE_AFTER_MS,
default 60) makes faulthandler write the stack of every thread into FILE whenever the event
loop has not ticked for that long: the GUI thread's stack and the one that held the GIL.
"""

from __future__ import annotations

import argparse
import faulthandler
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
from common import DATA, PHOTO_DIR, PHOTO_SIZE, percentile, photos, row

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from clipdesk.catalog import Catalog  # noqa: E402
from clipdesk.gui.app import application, create_window  # noqa: E402
from clipdesk.gui.main_window import MainWindow  # noqa: E402
from clipdesk.testing.synthetic import render  # noqa: E402

ONNX_CACHE = DATA / "onnx-test"  # the test model's ONNX export, shared between runs


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident set size of this process, MB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def new_home(root: Path) -> Path:
    home = root / "home"
    (home / "cache").mkdir(parents=True)
    ONNX_CACHE.mkdir(parents=True, exist_ok=True)
    (home / "cache" / "onnx").symlink_to(ONNX_CACHE)
    return home


TRACE_AFTER = float(os.environ.get("CLIPDESK_TRACE_AFTER_MS", "60")) / 1000


def run_delay() -> float:
    """Seconds this thread has spent ready to run but waiting for a core (Linux schedstat;
    0 elsewhere)."""
    try:
        with open("/proc/thread-self/schedstat") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


class GapMeter:
    """Gaps between the ticks of a 10 ms timer: how long the event loop was busy; and the
    GUI thread's own CPU time in each gap (a long gap with little of it was the thread
    waiting: for the GIL, or for a core on a busy machine); and, on Linux, how long in each
    gap it was ready to run but waited for a core (the rest of the wait is the GIL's)."""

    def __init__(self, trace: Path | None = None) -> None:
        self.trace = trace.open("w") if trace else None  # stacks of every thread in a stall
        self.gaps: list[float] = []
        self.times: list[float] = []
        self.cpu: list[float] = []
        self.queued: list[float] = []
        self._last = time.perf_counter()
        self._last_cpu = time.thread_time()
        self._last_queued = run_delay()
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now, cpu, queued = time.perf_counter(), time.thread_time(), run_delay()
        self.gaps.append(now - self._last)
        self.cpu.append(cpu - self._last_cpu)
        self.queued.append(queued - self._last_queued)
        self.times.append(now)
        self._last, self._last_cpu, self._last_queued = now, cpu, queued
        self._arm()

    def _arm(self) -> None:
        if self.trace:  # faulthandler's watchdog thread dumps the stacks without the GIL
            self.trace.write(f"tick {time.perf_counter():.4f}\n")
            self.trace.flush()
            faulthandler.dump_traceback_later(TRACE_AFTER, file=self.trace)

    def start(self) -> None:
        self._last, self._last_cpu = time.perf_counter(), time.thread_time()
        self._last_queued = run_delay()
        self.timer.start()
        self._arm()

    def stop(self) -> None:
        self.timer.stop()
        if self.trace:
            faulthandler.cancel_dump_traceback_later()


def wait(app: QApplication, until, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        app.processEvents()
        if until():
            return True
        time.sleep(0.002)
    return False


def stalls_while_indexing(
    app: QApplication, n_photos: int, tmp: Path, size: tuple[int, int] = PHOTO_SIZE
) -> None:
    tmp.mkdir(parents=True, exist_ok=True)
    folder = tmp / "photos"
    folder.mkdir(parents=True)
    source = PHOTO_DIR if size == PHOTO_SIZE else DATA / f"photos-{size[0]}x{size[1]}"
    for p in photos(n_photos, size=size, folder=source):
        try:
            os.link(p, folder / p.name)
        except OSError:  # another file system
            shutil.copy(p, folder / p.name)
    home = new_home(tmp)
    import clipdesk.pipeline.library

    load_span: list[float] = []  # when the worker's load_embedder call began and ended
    real_load = clipdesk.pipeline.library.load_embedder

    def timed_load(*args, **kw):
        load_span.append(time.perf_counter())
        try:
            return real_load(*args, **kw)
        finally:
            load_span.append(time.perf_counter())

    clipdesk.pipeline.library.load_embedder = timed_load
    window = create_window(home, model="test", backend="onnx", watch=True)
    # From launch: the window's first paint and the worker's start (its modules imported in
    # a thread beside the window), an empty library, 1 s.
    first = GapMeter()
    first.start()
    window.show()
    wait(app, lambda: False, 1.0)
    first.stop()
    # The floor: the same timer with the window up and nothing to do (the machine's noise).
    idle = GapMeter()
    idle.start()
    wait(app, lambda: False, 2.0)
    idle.stop()
    trace = os.environ.get("CLIPDESK_TRACE_STALLS")
    meter = GapMeter(Path(trace) if trace else None)
    meter.start()
    scroll = QTimer()
    bar = window.library_page.grid.verticalScrollBar()
    scroll.timeout.connect(lambda: bar.setValue((bar.value() + 40) % (bar.maximum() + 1)))
    scroll.start(50)
    t0 = time.perf_counter()
    window.browse_controller.add_folder(str(folder))
    worker_ready = wait(app, lambda: window.session.bridge._worker is not None, 30)
    worker = window.session.bridge._worker
    loaded: list[float] = []

    def model_loaded() -> bool:  # polled: when the worker's model finished loading
        lib = worker.library
        if not loaded and lib is not None and lib.model_loaded:
            loaded.append(time.perf_counter())
        return bool(loaded)

    def listed() -> bool:
        model_loaded()
        return window.library_page.model.rowCount() == n_photos

    def finished() -> bool:
        return (
            model_loaded()
            and worker.wait_idle(0)
            and window.status.progress_label.text() == "Up to date"
        )

    appeared = wait(app, listed, 600)
    torch_imported = "torch" in sys.modules
    t_rows = time.perf_counter() - t0
    done = wait(app, finished, 1800)
    t_done = time.perf_counter() - t0
    meter.stop()
    scroll.stop()
    window.close()
    assert worker_ready and appeared and done, "indexing did not finish"
    gaps_ms = np.array(meter.gaps) * 1000
    cpu_ms = np.array(meter.cpu) * 1000
    queued_ms = np.array(meter.queued) * 1000
    times = np.array(meter.times)
    after = times > loaded[0]
    # Ticks whose gap overlaps the load_embedder call or the first batch (sessions open
    # on first use): from its start to 1 s after the model is there.
    in_load = (times - gaps_ms / 1000 < loaded[0] + 1.0) & (times > load_span[0])
    print(
        f"-- event loop while indexing {n_photos} x {size[0]}x{size[1]} JPEGs (test model, "
        "ONNX, watcher on, grid scrolled every 50 ms)"
    )
    row("photos listed in the grid after", t_rows, "s")
    row("model loaded in the worker after", loaded[0] - t0, "s", f"torch: {torch_imported}")
    row("load_embedder in the worker took", load_span[1] - load_span[0], "s")
    first_ms, first_cpu = np.array(first.gaps) * 1000, np.array(first.cpu) * 1000
    row(
        "first second on screen, longest gap",
        first_ms.max(),
        "ms",
        f"GUI thread's CPU in it {first_cpu[first_ms.argmax()]:.1f} ms; budget 100 ms",
    )
    idle_ms = np.array(idle.gaps) * 1000
    row(
        "idle window after it, longest gap (machine noise)",
        idle_ms.max(),
        "ms",
        f"p99 {percentile(list(idle_ms), 99):.0f} ms",
    )
    row("indexed and tagged after", t_done, "s")
    for label, mask in (
        ("whole run", np.ones(len(gaps_ms), bool)),
        ("before the model loads (scan, thumbnails)", ~after),
        ("model load + first batch (load start to 1 s after)", in_load),
        ("after the model is loaded", after),
    ):
        part, cpu, queued = gaps_ms[mask], cpu_ms[mask], queued_ms[mask]
        if not len(part):
            continue
        print(f"   {label}: {len(part)} ticks")
        worst = int(part.argmax())
        row("  longest gap between 10 ms ticks", part.max(), "ms", "budget 100 ms")
        row("  ... GUI thread's own CPU in that gap", cpu[worst], "ms")
        row("  ... GUI thread waiting for a core in it", queued[worst], "ms", "(the rest: GIL)")
        row("  most GUI-thread CPU in one gap", cpu.max(), "ms", "(our code on the GUI thread)")
        row("  p99 gap", percentile(list(part), 99), "ms")
        row("  gaps over 100 ms", float((part > 100).sum()), "")
    sys.stdout.flush()


def fake_library(home: Path, n: int, n_thumbs: int = 500) -> None:
    """A catalog of ``n`` indexed photos with embeddings, sharing ``n_thumbs`` thumbnails."""
    from clipdesk.imaging import ThumbnailCache

    cache = ThumbnailCache(home / "cache" / "thumbnails")
    rng = np.random.default_rng(0)
    hashes = [f"{i:032x}" for i in range(n_thumbs)]
    colours, shapes = ("red", "green", "blue", "yellow"), ("circle", "square", "triangle")
    for i, h in enumerate(hashes):
        cache.save(h, render(colours[i % 4], shapes[i % 3], (384, 256), rng).image)
    cat = Catalog(home / "data" / "catalog.sqlite3")
    folder = cat.add_folder("/bench/photos")
    model_id = cat.model_id("test", 512)
    with cat.transaction() as conn:
        for start in range(0, n, 10_000):
            vecs = rng.standard_normal((min(10_000, n - start), 512)).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            for i, v in enumerate(vecs, start):
                cur = conn.execute(
                    "INSERT INTO photos(folder_id, path, size, mtime_ns, hash, width, height, "
                    "status, updated_at) VALUES (?, ?, ?, ?, ?, 6000, 4000, 'indexed', 0)",
                    (
                        folder,
                        f"/bench/photos/{i // 1000:03d}/{i:06d}.jpg",
                        5_000_000,
                        i,
                        hashes[i % n_thumbs],
                    ),
                )
                conn.execute(
                    "INSERT INTO embeddings(photo_id, model_id, vector) VALUES (?, ?, ?)",
                    (cur.lastrowid, model_id, v.tobytes()),
                )
    cat.close()


def memory_at_scale(app: QApplication, n: int, tmp: Path) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    home = new_home(tmp)
    t = time.perf_counter()
    fake_library(home, n)
    row(f"building a {n:,}-photo catalog (not a budget)", time.perf_counter() - t, "s")
    before = rss_mb()[0]
    # The worker stays off here: its first scan would mark the fake photos missing.
    MainWindow._start_worker = lambda self: None  # type: ignore[method-assign]
    t0 = time.perf_counter()
    window = create_window(home, model="test", backend="onnx", watch=False)
    window.show()
    window.session.reader.notify_changed(now=True)
    listed = wait(app, lambda: window.library_page.model.rowCount() == n, 120)
    t_list = time.perf_counter() - t0
    assert listed
    grid = window.library_page.grid
    bar = grid.verticalScrollBar()
    # The grid lays 100k cells out in batches (2000 per event-loop turn): wait until the
    # scroll range stops growing.
    last = [-1, time.perf_counter()]

    def laid_out() -> bool:
        if bar.maximum() != last[0]:
            last[:] = [bar.maximum(), time.perf_counter()]
        return bar.maximum() > 0 and time.perf_counter() - last[1] > 0.5

    wait(app, laid_out, 120)
    t_layout = last[1] - t0
    listed_rss = rss_mb()[0]
    steps, step_times = 0, []
    page = grid.viewport().height()
    while bar.value() < bar.maximum() and steps < 4000:
        t = time.perf_counter()
        bar.setValue(bar.value() + page)
        grid.viewport().repaint()
        app.processEvents()
        step_times.append(time.perf_counter() - t)
        steps += 1
    wait(app, lambda: False, 1.0)  # let the last thumbnails land
    after, peak = rss_mb()
    window.close()
    ms = np.array(step_times) * 1000
    print(f"-- {n:,} photos: the window's memory and scrolling (worker off)")
    row("window shown to all rows listed", t_list, "s")
    row("... and every cell laid out (batched)", t_layout, "s")
    row("RSS before the window (Python, Qt, numpy)", before, "MB")
    row("RSS with the grid listing every photo", listed_rss, "MB")
    row(f"RSS after scrolling through it ({steps} pages)", after, "MB")
    row("peak RSS", peak, "MB")
    row("scroll step (page down + paint), median", float(np.median(ms)), "ms")
    row("scroll step, p99 / max", percentile(list(ms), 99), "ms", f"max {ms.max():.1f} ms")
    sys.stdout.flush()
    return home


PROBE = textwrap.dedent(
    """
    import json, sys, time
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    app = QApplication(sys.argv[:1])
    out = {}
    def probe():
        w = next((w for w in QApplication.topLevelWidgets()
                  if w.isVisible() and w.windowTitle() == "ClipDesk"), None)
        if w is None:
            return QTimer.singleShot(1, probe)
        if "shown" not in out:
            out.update(shown=time.time(), torch="torch" in sys.modules)
        if w.library_page.model.rowCount() >= int(sys.argv[2]):
            out["listed"] = time.time()
            return w.close()
        QTimer.singleShot(5, probe)
    QTimer.singleShot(0, probe)
    from clipdesk.gui.main_window import MainWindow
    MainWindow._start_worker = lambda self: None  # measure the window, not the worker
    from clipdesk.cli import main
    main(["--home", sys.argv[1], "--model", "test", "--backend", "onnx"])
    print(json.dumps(out))
    """
)


def startup(home: Path, rows: int, runs: int = 3) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    shown, listed, torch = [], [], []
    for _ in range(runs):
        t0 = time.time()
        proc = subprocess.run(
            [sys.executable, "-c", PROBE, str(home), str(rows)],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        shown.append(out["shown"] - t0)
        listed.append(out["listed"] - t0)
        torch.append(out["torch"])
    print(f"-- start-up: process start to window (median of {runs})")
    row("window on screen", float(np.median(shown)), "s", f"torch imported: {any(torch)}")
    row(f"grid listing {rows:,} photos", float(np.median(listed)), "s")
    sys.stdout.flush()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="12 photos, 10k fake photos")
    ap.add_argument("--photos", type=int, default=None, help="photos to index")
    ap.add_argument("--photo-size", default="6000x4000", help="WxH of those photos")
    ap.add_argument("--only", choices=("stalls", "memory"), help="run one measurement")
    ap.add_argument("-n", type=int, default=None, help="fake photos for the memory test")
    ap.add_argument(
        "--switch-interval",
        type=float,
        action="append",
        metavar="MS",
        help="the GUI process's GIL switch interval in ms (default: Python's, 5); repeat it to "
        "measure the stalls with each, alternating, in fresh processes",
    )
    ap.add_argument("--rounds", type=int, default=1, help="stall runs per switch interval")
    ap.add_argument("--section", choices=("stalls", "memory"), help=argparse.SUPPRESS)
    ap.add_argument("--dir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    n_photos = args.photos or (12 if args.quick else 48)
    n = args.n or (10_000 if args.quick else 100_000)
    if args.section:  # one measurement in this (fresh) process
        app = application()
        if args.switch_interval:
            sys.setswitchinterval(args.switch_interval[0] / 1000)
        print(f"   GIL switch interval {sys.getswitchinterval() * 1000:g} ms", flush=True)
        if args.section == "stalls":
            w, h = (int(v) for v in args.photo_size.split("x"))
            stalls_while_indexing(app, n_photos, Path(args.dir), (w, h))
        else:
            memory_at_scale(app, n, Path(args.dir))
        return
    print(
        f"== GUI responsiveness  ({os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.2f}, {time.strftime('%Y-%m-%d %H:%M')})",
        flush=True,
    )
    me = [sys.executable, __file__, "-n", str(n), "--photos", str(n_photos)]
    me += ["--photo-size", args.photo_size]
    with tempfile.TemporaryDirectory(prefix="clipdesk-gui-bench-") as tmp:
        if args.only is None:
            (Path(tmp) / "empty").mkdir()
            startup(new_home(Path(tmp) / "empty"), 0)
        # Each measurement in its own process: memory figures must not include another's.
        if args.only in (None, "stalls"):
            intervals = [
                [] if ms is None else ["--switch-interval", str(ms)]
                for ms in (args.switch_interval or [None])
            ]
            for r in range(args.rounds):
                for i, extra in enumerate(intervals):
                    where = f"{tmp}/index-{r}-{i}"
                    subprocess.run([*me, *extra, "--section", "stalls", "--dir", where], check=True)
        if args.only in (None, "memory"):
            subprocess.run([*me, "--section", "memory", "--dir", f"{tmp}/big"], check=True)
            startup(Path(tmp) / "big" / "home", n)


if __name__ == "__main__":
    main()
