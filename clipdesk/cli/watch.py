"""``clipdesk watch``: the background worker, headless, in the foreground until Ctrl-C."""

from __future__ import annotations

import signal
import sys
import threading
from typing import TextIO

from clipdesk.errors import Fatal
from clipdesk.wording import plural

EXIT_OK = 0


def add_parsers(sub, common) -> None:
    w = sub.add_parser(
        "watch",
        parents=[common],
        help="watch the folders and index what changes, until Ctrl-C",
    )
    w.add_argument("paths", nargs="*", metavar="FOLDER", help="folders to add first")
    w.add_argument(
        "--poll-interval",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how often folders without change events are rescanned (default 30)",
    )
    w.add_argument(
        "--debounce",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="quiet time before a changed file is taken as complete (default 1)",
    )


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    m, s = divmod(int(seconds + 0.5), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


class Console:
    """A progress line redrawn in place on a terminal, and one line per event."""

    def __init__(self, out: TextIO = sys.stdout, err: TextIO = sys.stderr):
        self.out, self.err = out, err
        self.tty = hasattr(err, "isatty") and err.isatty()
        self._lock = threading.Lock()
        self._line = ""

    def progress(self, p) -> None:
        if not self.tty:
            return
        if p.paused or p.phase == "paused":
            text = "paused"
        elif p.phase == "idle":
            text = "up to date, watching"
        elif p.phase == "download" and p.total:  # bytes of the model's weights
            mb = 1e6
            rate = f"  {p.rate / mb:.1f} MB/s" if p.rate else ""
            text = f"downloading {p.item} {p.done / mb:.1f}/{p.total / mb:.1f} MB{rate}"
            text += f"  ETA {_eta(p.eta)}" if p.eta is not None else ""
        elif p.total and (p.done or p.rate):
            text = f"{p.phase} {p.done}/{p.total}  {p.rate:.1f}/s  ETA {_eta(p.eta)}"
        elif p.total:
            text = f"{p.phase} {p.total}..."
        else:
            text = f"{p.phase}..."
        with self._lock:
            self._line = text
            self.err.write("\r\033[K" + text)
            self.err.flush()

    def event(self, e) -> None:
        line = describe(e, verbose=not self.tty)
        if line is not None:
            self.line(line, self.err if e.kind in ("error", "photo_failed") else self.out)

    def line(self, line: str, stream: TextIO) -> None:
        """Print a line above the progress line."""
        with self._lock:
            if self.tty:
                self.err.write("\r\033[K")
                self.err.flush()
            stream.write(line + "\n")
            stream.flush()
            if self.tty and self._line:
                self.err.write(self._line)
                self.err.flush()

    def clear(self) -> None:
        with self._lock:
            if self.tty and self._line:
                self.err.write("\r\033[K")
                self.err.flush()
            self._line = ""


def describe(e, verbose: bool = True) -> str | None:
    """One line for an event, or None for those the progress line already shows."""
    n = len(e.photo_ids)
    photos = plural(n, "photo")
    lines = {
        "photo_added": f"added {photos}",
        "photo_changed": f"{photos} changed, indexing them again",
        "photo_moved": f"{photos} moved or renamed (tags kept)",
        "photo_missing": f"{photos} gone (kept as missing, with their tags)",
        "photo_restored": f"{photos} back",
        "photo_failed": f"skipped {e.path}: {e.message}",
        "folder_missing": f"folder not found (unmounted?), its photos are kept: {e.path}",
        "folder_restored": f"folder back: {e.path}",
        "watch_mode": f"watching {e.path} by {e.message}",
        "error": f"error: {e.message}",
        "model_unavailable": f"photos wait for a model: {e.message}",
        "download_finished": "model downloaded: indexing",
    }
    if verbose:  # no progress line (a pipe or a log): say what the line would show
        lines.update(
            {
                "photo_indexed": f"indexed {photos}",
                "tags_changed": f"tagged {photos if n else 'all photos'}",
                "idle": "up to date",
            }
        )
    return lines.get(e.kind)


def cmd_watch(library, args) -> int:
    from clipdesk.cli.indexing import remember_choice
    from clipdesk.ops import folders as folder_ops
    from clipdesk.worker import Worker, WorkerAlreadyRunning

    remember_choice(library, args)
    if args.paths:
        folder_ops.add_folders(library, args.paths)
    folders = library.catalog.folders()
    if not folders:
        raise Fatal("no folders yet: add one with `clipdesk add FOLDER` or `clipdesk watch FOLDER`")
    library.close()  # the worker opens its own writer connection in its own thread
    library.check_model()  # a name that cannot work ends the command at once
    model = library.model_name

    stop = threading.Event()
    old = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGINT, signal.SIGTERM)}
    console = Console()
    worker = Worker(
        args.home,
        engine=library.engine,
        on_progress=console.progress,
        on_event=console.event,
        poll_interval=args.poll_interval,
        debounce=args.debounce,
    )
    try:
        try:
            worker.start()
        except WorkerAlreadyRunning as exc:
            raise Fatal(str(exc)) from None
        # The worker loads the model when a photo needs it.
        console.line(
            f"watching {plural(len(folders), 'folder')} with {model} "
            f"({library.engine.describe()}); "
            "Ctrl-C to stop",
            sys.stderr,
        )
        while not stop.wait(0.5) and worker.running:
            pass
        if not stop.is_set():
            raise Fatal("the worker stopped (see the error above)")
    finally:
        console.clear()
        worker.stop()
        for s, handler in old.items():
            signal.signal(s, handler)
    return EXIT_OK


COMMANDS = {"watch": cmd_watch}
