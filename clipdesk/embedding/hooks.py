"""What a model download reports to and what stops it (``embedding/download.py`` does the
download), and how its sizes read: apart, so that a command that only might download
imports this alone."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clipdesk.embedding.download import DownloadProgress


@dataclass
class DownloadHooks:
    """What a download reports to (any thread) and what stops it."""

    progress: Callable[[DownloadProgress], None] | None = None
    cancel: threading.Event = field(default_factory=threading.Event)


def megabytes(n: float) -> str:
    """A size in bytes as the terminal and the window show a download's: "12.3 MB"."""
    return f"{n / 1e6:,.1f} MB"
