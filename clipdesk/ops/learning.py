"""Learning from corrections: when to retrain, retraining, the review queue.

Decisions put their tags in the catalog's learning queue (see
:mod:`clipdesk.tagging.corrections`); :func:`learn_pending` (the pipeline's learn step)
retrains exactly those and re-scores the library for them. The one policy on when:

- a decision made through the worker (the window) reports ``Change.CORRECTIONS``, and the
  worker learns ``LEARN_DELAY`` after it (:func:`due_in`): the suggestions on other photos
  change within the 300 ms budget, and a quick run of keypresses is learned once;
- a decision made in another process (``clipdesk tag``) is found by the worker's idle
  look at the queue, or, with no worker running, learned by the command itself
  (:func:`after_decision`);
- ``clipdesk add`` and ``index`` learn as their last step.

A command that may not load the model (``clipdesk tag``) learns the tags whose vectors the
catalog has, and leaves a brand-new tag in the queue for the next run that has the model.
"""

from __future__ import annotations

import time

from clipdesk.pipeline.library import Library
from clipdesk.pipeline.steps import learn as learn_pending
from clipdesk.tagging import corrections
from clipdesk.tagging.review import ReviewItem
from clipdesk.tagging.review import review_queue as _review

# A decision waits this long for the next one before its tags retrain, so that keys
# pressed together in review are learned once; short, for the 300 ms budget.
LEARN_DELAY = 0.05


def pending(lib: Library) -> dict[int, float]:
    """Tags waiting to be retrained, with the time of their last correction."""
    return corrections.pending_learning(lib.catalog)


def due_in(lib: Library, delay: float = LEARN_DELAY, now: float | None = None) -> float | None:
    """When to retrain the tags in the learning queue: seconds from now (0: at once), or
    None when none waits. The one rule; the worker schedules by it."""
    waiting = pending(lib)
    if not waiting:
        return None
    now = time.time() if now is None else now
    return max(max(waiting.values()) + delay - now, 0.0)


def after_decision(lib: Library, worker_running: bool) -> list[int]:
    """A decision made in the terminal: a running worker (the window, ``clipdesk watch``)
    learns it by ``due_in``; without one, learn now, so the next command sees the effect.
    The tags learned here."""
    return [] if worker_running else learn_pending(lib).tag_ids


def retrain_all(lib: Library) -> tuple[int, list[dict]]:
    """Retrain every tag with corrections, re-score everything; (tags retrained, report)."""
    started = time.time()
    tagger = lib.tagger
    reports = tagger.retrain()
    tagger.rescore()
    with lib.catalog.transaction():
        corrections.learned(lib.catalog, list(pending(lib)), started)
    return len(reports), learning_report(lib)


def learning_report(lib: Library) -> list[dict]:
    """Per tag with corrections: confirmed and rejected counts, held-out precision/recall,
    and when there are none, why (``why_no_metrics``)."""
    out = []
    for r in lib.tagger.report():
        if not (r["confirmed"] or r["rejected"]):
            continue
        if not (r["confirmed"] and r["rejected"]):
            r["why_no_metrics"] = "needs at least 1 confirmed and 1 rejected photo"
        elif r["precision"] is None:
            r["why_no_metrics"] = "no held-out photo was predicted to have it yet"
        out.append(r)
    return out


def review_queue(lib: Library, tag_id: int | None = None, limit: int = 50) -> list[ReviewItem]:
    """The undecided photo-tag pairs the model is least sure about."""
    return _review(lib.tagger, tag_id, limit)
