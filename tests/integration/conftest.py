"""Integration fixtures: a background worker on the test home, with the real test model."""

from __future__ import annotations

import threading

import pytest

from tests.support.polling import wait_until
from tests.support.repo import SHAPES_VOCAB
from tests.support.worker_events import Events


@pytest.fixture
def start(home):
    """Start a worker on ``home`` watching the given folders; stopped, and checked for
    stray threads, at the end of the test."""
    from clipdesk.tagging.store import TagStore
    from clipdesk.worker import Worker

    workers = []
    before = set(threading.enumerate())

    def _start(*folders, vocab=True, **kw):
        events = Events()
        kw = {"poll_interval": 0.5, "debounce": 0.3, **kw}
        w = Worker(
            home,
            model="test",
            backend="onnx",
            on_event=events,
            on_progress=events.on_progress,
            **kw,
        )
        workers.append(w)
        w.start()
        if vocab:
            w.submit(lambda lib: TagStore(lib.catalog).import_file(SHAPES_VOCAB)).result(30)
        for folder in folders:
            w.add_folder(folder).result(30)
        return w, events

    yield _start
    for w in workers:
        w.stop()
    wait_until(lambda: not (set(threading.enumerate()) - before), timeout=10)
