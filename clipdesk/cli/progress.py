"""The terminal progress bar for indexing: count, photos/s and ETA (tqdm on a terminal)."""

from __future__ import annotations

from typing import TextIO

from clipdesk.indexer import Progress


class ProgressPrinter:
    """A progress callback: a tqdm bar on a terminal, nothing on a pipe (the summary follows)."""

    def __init__(self, stream: TextIO, label: str):
        self.stream = stream
        self.label = label
        self.bar = None
        self.tty = hasattr(stream, "isatty") and stream.isatty()

    def __enter__(self) -> ProgressPrinter:
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()

    def __call__(self, p: Progress) -> None:
        if not self.tty:
            return
        if p.phase == "scan":
            print(f"scanning folders ({self.label})...", file=self.stream, flush=True)
            return
        if p.phase == "embed":
            if self.bar is None:
                from tqdm import tqdm

                self.bar = tqdm(
                    total=p.total, unit="photo", file=self.stream, desc="indexing", smoothing=0.1
                )
            self.bar.n = p.done
            self.bar.set_postfix_str(f"{p.failed} skipped" if p.failed else "", refresh=False)
            self.bar.refresh()
