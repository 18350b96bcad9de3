"""The background worker: the catalog's one writer, behind the window and ``clipdesk watch``.

- :mod:`~clipdesk.worker.service`: the thread, its public API and its queue loop
- :mod:`~clipdesk.worker.queue`: priorities, coalescing, jobs that wait for their time
- :mod:`~clipdesk.worker.jobs`: one class per job kind
- :mod:`~clipdesk.worker.handlers`: what each job does, by kind
- :mod:`~clipdesk.worker.events`: progress and events it publishes
- :mod:`~clipdesk.worker.state`: the lock and watch state other processes read
"""

from clipdesk.worker.events import EventKind, Phase, Priority, WorkerEvent, WorkerProgress
from clipdesk.worker.jobs import JobKind
from clipdesk.worker.service import Worker
from clipdesk.worker.state import WorkerAlreadyRunning

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
