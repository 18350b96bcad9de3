"""A process-wide budget of memory for the decodes that run at once.

The thumbnail pass, the indexer's lanes or decode pool and the cluster's stages each run
several decodes at once. Every decode reserves the bytes its estimate says (footprint.py)
before it reads a pixel, and gives them back when its result is made:

* The bytes held never exceed the budget, except by one reservation larger than the whole
  budget: it is granted when nothing else is held, and runs alone.
* Reservations are granted in the order they were asked for, so a large one is not starved
  by a stream of small ones (which wait behind it).
* A thread that already holds a reservation is granted another at once: it would otherwise
  wait for its own bytes.
* Waiting blocks on a condition variable; nothing spins. There is no timeout and no cancel:
  a reservation lasts one decode, which always ends.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

DECODE_BUDGET_BYTES: int = 1024 * 2**20
"""All decodes at once. With the 640 MB per-decode cap (core.MAX_DECODE_BYTES) one decode
of the largest kind still runs beside the small ones (a 24 MP JPEG needs about 3 MB, 75 MB
if progressive), and two 150 MP TIFFs (600 MB each) take turns instead of adding up."""


class DecodeBudget:
    """A semaphore over bytes; ``total`` None means no limit (reservations are only counted)."""

    def __init__(self, total: int | None) -> None:
        self.total = total
        self.held = 0
        """Bytes reserved now."""
        self.peak = 0
        """The most bytes held at once since this budget was made."""
        self._cond = threading.Condition()
        self._queue: deque[object] = deque()
        self._mine = threading.local()

    @property
    def waiting(self) -> int:
        """Reservations asked for and not yet granted."""
        with self._cond:
            return len(self._queue)

    @contextmanager
    def reserve(self, nbytes: int) -> Iterator[None]:
        """Hold ``nbytes`` of the budget for the ``with`` block, waiting until they fit."""
        nbytes = max(0, int(nbytes))
        nested = getattr(self._mine, "depth", 0) > 0
        with self._cond:
            if not nested and self.total is not None:
                self._wait_turn(nbytes)
            self.held += nbytes
            self.peak = max(self.peak, self.held)
        self._mine.depth = getattr(self._mine, "depth", 0) + 1
        try:
            yield
        finally:
            self._mine.depth -= 1
            with self._cond:
                self.held -= nbytes
                self._cond.notify_all()

    def _wait_turn(self, nbytes: int) -> None:
        """Wait (holding ``_cond``) until this request is first in line and fits."""
        ticket = object()
        self._queue.append(ticket)
        try:
            while not (self._queue[0] is ticket and self._fits(nbytes)):
                self._cond.wait()
        finally:  # also when the wait is interrupted: never leave a dead ticket in line
            self._queue.remove(ticket)
            self._cond.notify_all()  # the next in line may fit beside this one

    def _fits(self, nbytes: int) -> bool:
        assert self.total is not None
        return self.held == 0 or self.held + nbytes <= self.total


DECODE_BUDGET = DecodeBudget(DECODE_BUDGET_BYTES)
"""The budget every ``decode`` in this process shares (replace it to change the limit)."""


def reserve(nbytes: int) -> AbstractContextManager[None]:
    """Reserve ``nbytes`` of the process's decode budget for a ``with`` block."""
    return DECODE_BUDGET.reserve(nbytes)
