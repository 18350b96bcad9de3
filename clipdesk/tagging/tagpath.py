"""Tag paths: ``Animals|Dog`` names the tag Dog under Animals. The one place that knows the
separator; building a path from the tag tree and showing it to a person happen here too.

Whether a photo "has" a tag (the tag or any tag below it) is answered by
:func:`clipdesk.catalog.browse.photo_ids`, the same query for every caller.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SEPARATOR = "|"
# What a tag name may not hold, and what is shown escaped: C0/C1 controls, line and
# paragraph separators, and the bidirectional controls (a name holding U+202E prints the
# text after it reversed, one holding a line break a forged line).
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def split(path: str) -> list[str]:
    """The levels of a path, stripped of surrounding space."""
    return [p.strip() for p in path.split(SEPARATOR)]


def join(*levels: str) -> str:
    return SEPARATOR.join(level for level in levels if level)


def leaf(path: str) -> str:
    """The last level: ``Dog`` for ``Animals|Dog``."""
    return path.rsplit(SEPARATOR, 1)[-1]


def parent(path: str) -> str:
    """Everything above the leaf ('' for a top-level tag)."""
    return path.rpartition(SEPARATOR)[0]


def clean(path: str) -> str:
    """A path as typed by a person: no stray separators or spaces around levels."""
    return join(*split(path.strip().strip(SEPARATOR)))


def resolve(typed: str, known: Iterable[str]) -> str | None:
    """The existing tag a person means by what they typed: the same path (any case), else
    the one tag whose leaf is that name, else the only tag whose path contains it. None
    when it names no tag or several: creating a tag is never a guess."""
    text = clean(typed).casefold()
    if not text:
        return None
    known = list(known)
    for rule in (
        lambda p: p.casefold() == text,
        lambda p: leaf(p).casefold() == text,
        lambda p: text in p.casefold(),
    ):
        found = [p for p in known if rule(p)]
        if len(found) == 1:
            return found[0]
        if found:
            return None
    return None


def display(path: str) -> str:
    """A path for reading: ``Animals › Dog``."""
    return path.replace(SEPARATOR, " › ")


def shown(path: str) -> str:
    """A path for one line of a terminal: each control character escaped (``\\n``,
    ``\\u202e``), so a name from a file can neither forge a line nor reverse one."""
    return CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), path)


def build(rows: Iterable[tuple[int, str, int | None]]) -> dict[int, str]:
    """Full paths from (id, name, parent_id) rows of the tag tree."""
    by_id = {r[0]: r for r in rows}
    paths: dict[int, str] = {}

    def path(i: int) -> str:
        if i not in paths:
            _, name, up = by_id[i]
            paths[i] = f"{path(up)}{SEPARATOR}{name}" if up in by_id else name
        return paths[i]

    for i in by_id:
        path(i)
    return paths
