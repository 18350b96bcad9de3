"""What an action changed, as Anki's ``OpChanges`` says it: the kinds of thing, and which
photos and tags, so that whoever shows them (the window, through the worker's events)
refreshes exactly that, and the worker learns from a correction at once rather than
asking after every call.

An op reports its changes through :func:`report`, to the opened library's ``on_change``
(the worker sets it; a terminal command has none).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from clipdesk.pipeline.library import Library


class Change(str, Enum):
    TAGS = "tags"  # tags on photos (states, suggestions)
    CORRECTIONS = "corrections"  # the user decided: tags wait in the learning queue
    VOCABULARY = "vocabulary"  # tags themselves: names, prompts, thresholds, new or gone
    FLAGS = "flags"  # a photo's marks: stars, colour label, pick or reject flag
    ALBUMS = "albums"  # smart albums saved, changed or removed

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class OpChanges:
    kinds: frozenset[Change]
    photo_ids: tuple[int, ...] = ()  # none: any photo may have changed
    tag_ids: tuple[int, ...] = ()  # none: any tag may have changed

    def __contains__(self, kind: Change) -> bool:
        return kind in self.kinds


def changes(*kinds: Change, photo_ids=(), tag_ids=()) -> OpChanges:
    return OpChanges(
        frozenset(kinds),
        tuple(sorted({int(i) for i in photo_ids})),
        tuple(sorted({int(i) for i in tag_ids})),
    )


def report(lib: Library, change: OpChanges) -> OpChanges:
    """Tell whoever listens on the library (the worker) what changed; returns ``change``."""
    if lib.on_change is not None and change.kinds:
        lib.on_change(change)
    return change
