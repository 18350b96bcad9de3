"""The background worker: the catalog's one writer, behind the window and ``clipdesk watch``.

- :mod:`~clipdesk.worker.service`: the thread, its public API and its queue loop
- :mod:`~clipdesk.worker.queue`: priorities, coalescing, jobs that wait for their time
- :mod:`~clipdesk.worker.jobs`: one class per job kind
- :mod:`~clipdesk.worker.handlers`: what each job does, by kind
- :mod:`~clipdesk.worker.events`: progress and events it publishes
- :mod:`~clipdesk.worker.state`: the lock and watch state other processes read
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clipdesk.worker.events import EventKind, Phase, Priority, WorkerEvent, WorkerProgress
    from clipdesk.worker.jobs import JobKind
    from clipdesk.worker.service import Worker
    from clipdesk.worker.state import WorkerAlreadyRunning

# Each name is imported from its module on first use (PEP 562), so that a command reading
# the lock or the watch state (`clipdesk.worker.state`: `status`, `index`) does not import
# the service, the watcher and the imaging stack behind it.
_WHERE = {
    "EventKind": "events",
    "Phase": "events",
    "Priority": "events",
    "WorkerEvent": "events",
    "WorkerProgress": "events",
    "JobKind": "jobs",
    "Worker": "service",
    "WorkerAlreadyRunning": "state",
}


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


__all__ = [
    "EventKind",
    "JobKind",
    "Phase",
    "Priority",
    "Worker",
    "WorkerAlreadyRunning",
    "WorkerEvent",
    "WorkerProgress",
]
