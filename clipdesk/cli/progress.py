"""The terminal progress bars: indexing (count, photos/s and ETA) and a weights download
(bytes, rate, time left); tqdm on a terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from clipdesk.embedding.hooks import megabytes
from clipdesk.wording import plural

if TYPE_CHECKING:
    from clipdesk.progress import Progress


class ProgressPrinter:
    """A progress callback: a tqdm bar on a terminal, nothing on a pipe (the summary follows),
    except the first run's ONNX export, a long wait said on both."""

    def __init__(self, stream: TextIO, label: str, model: str = "the model"):
        self.stream = stream
        self.label = label
        self.model = model
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
            if p.total:  # the scan is done: what it found
                print(f"found {plural(p.total, 'photo')}", file=self.stream, flush=True)
            else:
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

    def loading(self, exporting: bool) -> None:
        """The model is about to load (``Library.on_model_load``); ``exporting``: first into
        ONNX for this computer, once, which takes a while."""
        if exporting:
            note = " (first run: exporting it to ONNX, once; this can take a minute)"
        elif self.tty:
            note = ""
        else:
            return
        print(f"loading {self.model}{note}...", file=self.stream, flush=True)


class DownloadPrinter:
    """A weights download on the terminal: a bar redrawn in place (bytes, rate, time left);
    on a pipe, a line at the start, at each quarter and at the end. Files under 1 MB (a
    model's config) pass quietly."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.bar = None
        self.file: str | None = None
        self.next_quarter = 1

    def __call__(self, p) -> None:  # a clipdesk.embedding.download.DownloadProgress
        if p.total is not None and p.total < 1_000_000:
            return
        if p.filename != self.file:
            self.close()
            self.file, self.next_quarter = p.filename, 1
            size = f": {megabytes(p.total)}" if p.total else ""
            resumed = f", resuming at {megabytes(p.resumed_from)}" if p.resumed_from else ""
            if self.tty:
                from tqdm import tqdm

                self.bar = tqdm(
                    total=p.total,
                    initial=p.done,
                    unit="B",
                    unit_scale=True,
                    file=self.stream,
                    desc=f"downloading {p.filename}{resumed}",
                )
            else:
                print(f"downloading {p.filename}{size}{resumed}", file=self.stream, flush=True)
        if self.bar is not None:
            self.bar.n = p.done
            self.bar.refresh()
        elif p.total and not p.finished and p.done * 4 >= self.next_quarter * p.total:
            rate = f", {megabytes(p.rate)}/s" if p.rate > 0 else ""
            left = f", about {p.eta:.0f} s left" if p.eta is not None else ""
            print(
                f"  {p.done * 100 // p.total}%: {megabytes(p.done)} of {megabytes(p.total)}"
                f"{rate}{left}",
                file=self.stream,
                flush=True,
            )
            self.next_quarter = p.done * 4 // p.total + 1
        if p.finished:
            self.close()
            checked = ", verified (SHA-256)" if p.verified else ""
            print(f"downloaded {p.filename}{checked}", file=self.stream, flush=True)
            self.file = None

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
