"""Collecting what a background worker publishes, from its thread."""

from __future__ import annotations

import threading


class Events:
    """Everything the worker published, collected from its thread."""

    def __init__(self):
        self.events = []
        self.progress = []
        self.lock = threading.Lock()

    def __call__(self, event):
        with self.lock:
            self.events.append(event)

    def on_progress(self, p):
        self.progress.append(p)

    def ids(self, kind) -> list[int]:
        with self.lock:
            return [i for e in self.events if e.kind == kind for i in e.photo_ids]
