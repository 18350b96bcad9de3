"""How far a long piece of work is, and how it is stopped: one type each, for the
terminal's progress bars, the worker's status and the window's status bar.

- :class:`Progress`: the phase, items done of total, rate and time left. The indexer
  reports it per batch; the worker publishes it (paused, the file downloaded).
- The cancel token is a ``threading.Event``: set it, and the work stops at its next
  photo or batch boundary, keeping what is done (Ctrl-C in the terminal, pause or a
  more urgent job in the worker, cancel in the window).

A weights download also reports bytes of one file (embedding/download.py's
DownloadProgress: resumed, verified); the worker turns it into a Progress.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import Enum

Cancel = threading.Event


class Named(str, Enum):
    """An enum whose members are their string values (in logs, JSON and comparisons)."""

    def __str__(self) -> str:
        return self.value


class Phase(Named):
    SCAN = "scan"
    THUMBNAILS = "thumbnails"
    EMBED = "embed"
    TAGGING = "tagging"
    DONE = "done"  # an index run's last report
    IDLE = "idle"
    PAUSED = "paused"
    DOWNLOAD = "download"  # the model's weights: done and total are bytes, rate bytes/s


@dataclass(frozen=True)
class Progress:
    phase: Phase
    done: int
    total: int
    rate: float = 0.0  # items per second
    eta: float | None = None  # seconds left, once a rate is known
    failed: int = 0  # items skipped so far (photos that could not be read)
    paused: bool = False
    item: str = ""  # what the phase works on, where that says more (the file downloaded)
