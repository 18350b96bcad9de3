"""The worker's queue: priorities, coalescing, pause and jobs that wait for their time."""

from __future__ import annotations

import itertools
import time

from clipdesk.worker.events import Priority
from clipdesk.worker.jobs import Job


class JobQueue:
    """Not thread-safe by itself: the worker holds its condition's lock around every call."""

    def __init__(self) -> None:
        self._jobs: list[Job] = []
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._jobs)

    def put(self, job: Job) -> None:
        """Queue ``job``, or fold it into a waiting job of its kind."""
        if job.coalesces:
            for queued in self._jobs:
                if type(queued) is type(job) and bool(queued.not_before) == bool(job.not_before):
                    queued.absorb(job)
                    return
        job.seq = next(self._seq)
        self._jobs.append(job)

    def take(self, paused: bool, now: float | None = None) -> Job | None:
        """The most urgent job that may start now (only user jobs while paused)."""
        now = time.monotonic() if now is None else now
        ready = [
            j
            for j in self._jobs
            if j.not_before <= now and (j.priority == Priority.USER or not paused)
        ]
        if not ready:
            return None
        job = min(ready, key=lambda j: (j.priority, j.seq))
        self._jobs.remove(job)
        return job

    def next_due(self, now: float | None = None) -> float | None:
        """Seconds until the next job that waits for its time, if any."""
        now = time.monotonic() if now is None else now
        later = [j.not_before - now for j in self._jobs if j.not_before > now]
        return min(later) if later else None

    def drop_interruptible(self) -> None:
        """Forget queued long jobs (an interrupted run waiting to resume included)."""
        self._jobs = [j for j in self._jobs if not j.interruptible]

    def clear(self) -> list[Job]:
        left, self._jobs = self._jobs, []
        return left
