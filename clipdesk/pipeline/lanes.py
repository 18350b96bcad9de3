"""Lanes: each core decodes photos and encodes its own batches, side by side.

On the CPU, a model's intra-op threads split every node of a batch between the cores and
hand work to each other thousands of times a batch, while a decode pool runs beside them:
more runnable threads than cores, and CPU spent on the hand-offs. In lanes, one thread per
core takes the next unit of work from a shared queue: a full batch of prepared photos to
encode (on one intra-op thread, so each lane's encoder call stays on its core), else the
next photo to prepare (decode, thumbnail, the model's input). No stage waits for another,
so neither the decoder nor the encoder can starve the other, and the cores stay busy to
the last photo: once nothing is left to prepare, the last photos are split between the
lanes in shrinking batches instead of one lane encoding them all while the others idle.

``run_lanes`` is plain threads and callbacks (no Qt, no catalog): the caller stores what
it yields, in its own thread, as it comes.
"""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")  # a unit to prepare (a photo's row)
P = TypeVar("P")  # what preparing gives (a prepared photo, or why it failed)
R = TypeVar("R")  # what encoding a batch gives (its vectors)


@dataclass
class Done(Generic[P, R]):
    """One lane's finished work: ``batch`` encoded into ``encoded``, or photos that failed
    to prepare (``failed``)."""

    batch: list[P] = field(default_factory=list)
    encoded: R | None = None
    failed: list[P] = field(default_factory=list)


class _Queue(Generic[T, P]):
    """What is left to prepare, and what is prepared and waiting for a lane to encode it."""

    def __init__(self, todo: Sequence[T], lanes: int, batch: int, cancel: threading.Event):
        self.todo: Iterator[T] = iter(todo)
        self.unprepared = len(todo)  # not yet taken to prepare
        self.preparing = 0
        self.lanes, self.batch, self.cancel = lanes, batch, cancel
        self.stop = threading.Event()  # a lane failed, or the caller stopped reading
        self.ready: list[P] = []
        self.lock = threading.Lock()

    def next(self) -> tuple[str, object]:
        """("encode", photos), ("prepare", unit) or ("stop", None)."""
        with self.lock:
            if self.cancel.is_set() or self.stop.is_set():
                self.unprepared = 0  # keep what is prepared: encode it, then stop
            # Near the end, smaller batches, so that the lanes finish together: a lane that
            # took a whole batch last would encode it alone while the others idled.
            left = len(self.ready) + self.preparing + self.unprepared
            size = min(self.batch, max(1, math.ceil(left / (2 * self.lanes))))
            if self.ready and (len(self.ready) >= size or not self.unprepared):
                taken, self.ready = self.ready[:size], self.ready[size:]
                return "encode", taken
            if self.unprepared:
                self.unprepared -= 1
                self.preparing += 1
                return "prepare", next(self.todo)
            return "stop", None

    def add(self, prepared: P | None) -> None:
        """A unit prepared: ``prepared`` waits to be encoded (None: it failed)."""
        with self.lock:
            self.preparing -= 1
            if prepared is not None:
                self.ready.append(prepared)


def run_lanes(
    todo: Sequence[T],
    prepare: Callable[[T], P],
    ok: Callable[[P], bool],
    encode: Callable[[list[P]], R],
    lanes: int,
    batch: int,
    cancel: threading.Event | None = None,
    name: str = "clipdesk-lane",
) -> Iterator[Done[P, R]]:
    """Prepare every unit of ``todo`` and encode the prepared ones (``ok``) in batches of up
    to ``batch``, on ``lanes`` threads; yields each batch encoded, and each unit that failed
    to prepare, as they finish (not in ``todo``'s order). ``cancel`` stops taking new units;
    what is already prepared is still encoded. An exception in a lane stops every lane and
    is raised here. Closing the iterator early stops the lanes the same way and waits for
    them; neither sets ``cancel``, which is the caller's (the user stopping)."""
    work: _Queue[T, P] = _Queue(todo, max(1, lanes), max(1, batch), cancel or threading.Event())
    out: queue.SimpleQueue[Done[P, R] | BaseException | None] = queue.SimpleQueue()

    def lane() -> None:
        try:
            while True:
                kind, item = work.next()
                if kind == "stop":
                    break
                if kind == "encode":
                    out.put(Done(item, encode(item)))
                    continue
                prepared = prepare(item)
                if ok(prepared):
                    work.add(prepared)
                else:
                    work.add(None)
                    out.put(Done(failed=[prepared]))
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
            work.stop.set()  # not ``cancel``: that is the caller's, and says the user stopped
            out.put(exc)
        finally:
            out.put(None)

    threads = [
        threading.Thread(target=lane, name=f"{name}-{i}", daemon=True) for i in range(work.lanes)
    ]
    for t in threads:
        t.start()
    running, error = len(threads), None
    try:
        while running:
            done = out.get()
            if done is None:
                running -= 1
            elif isinstance(done, BaseException):
                error = error or done
            elif error is None:
                yield done
    finally:
        if running:  # the caller stopped early
            work.stop.set()
        for t in threads:
            t.join()
    if error is not None:
        raise error
