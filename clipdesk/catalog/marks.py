"""The photographer's marks on photos: stars (0 to 5), a colour label, and a flag (pick or
reject), as Lightroom, darktable and digiKam keep them. The reject flag is also the copy set
aside in Duplicates. Not a tag's rejected state, which is the user's no to one suggestion
(tagging/states.py). The photo files are never touched: export writes the marks to sidecars.

Each change the user makes is logged with the marks as they were (``mark_log``), so that
``clipdesk undo`` and Ctrl+Z take it back like a tag decision.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, replace

from clipdesk.catalog.db import Catalog

STARS = range(0, 6)
LABELS = ("red", "yellow", "green", "blue", "purple")
FLAGS = ("pick", "reject")


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


#: "leave this field as it is" for :func:`set_marks` (None clears a label or a flag).
KEEP = _Keep()


@dataclass(frozen=True)
class Marks:
    stars: int = 0
    label: str | None = None
    flag: str | None = None  # 'pick', 'reject' or None

    def __post_init__(self) -> None:
        if self.stars not in STARS:
            raise ValueError(f"stars go from 0 to 5, not {self.stars}")
        if self.label is not None and self.label not in LABELS:
            raise ValueError(f"a colour label is one of {', '.join(LABELS)}, not {self.label!r}")
        if self.flag is not None and self.flag not in FLAGS:
            raise ValueError(f"a flag is pick or reject, not {self.flag!r}")

    @property
    def empty(self) -> bool:
        return self == Marks()

    def with_changes(self, stars=KEEP, label=KEEP, flag=KEEP) -> Marks:
        return replace(
            self,
            **{
                k: v
                for k, v in (("stars", stars), ("label", label), ("flag", flag))
                if v is not KEEP
            },
        )

    def describe(self) -> str:
        """'★★★ red pick', or 'no marks'."""
        parts = ["★" * self.stars] if self.stars else []
        parts += [p for p in (self.label, self.flag) if p]
        return " ".join(parts) or "no marks"

    def as_dict(self) -> dict:
        return {"stars": self.stars, "label": self.label, "flag": self.flag}


def _from_row(stars: int, label: str | None, picked: int, rejected: int) -> Marks:
    flag = "reject" if rejected else "pick" if picked else None
    return Marks(int(stars), label if label in LABELS else None, flag)


def _row(marks: Marks) -> tuple[int, str | None, int, int]:
    return marks.stars, marks.label, int(marks.flag == "pick"), int(marks.flag == "reject")


def marks_of(catalog: Catalog, photo_ids: Iterable[int] | None = None) -> dict[int, Marks]:
    """The marks of these photos (every photo that has any when ``photo_ids`` is None;
    a photo without marks maps to ``Marks()``)."""
    select = "SELECT id, stars, label, picked, rejected FROM photos"
    if photo_ids is None:
        rows = catalog.conn.execute(
            f"{select} WHERE stars != 0 OR label IS NOT NULL OR picked != 0 OR rejected != 0"
        ).fetchall()
        return {r[0]: _from_row(*r[1:]) for r in rows}
    ids = list(dict.fromkeys(int(i) for i in photo_ids))
    out: dict[int, Marks] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = catalog.conn.execute(
            f"{select} WHERE id IN ({','.join('?' * len(chunk))})", chunk
        ).fetchall()
        out.update((r[0], _from_row(*r[1:])) for r in rows)
    return out


def set_marks(
    catalog: Catalog,
    photo_ids: Iterable[int],
    *,
    stars=KEEP,
    label=KEEP,
    flag=KEEP,
    what: str = "marks",
    log: bool = True,
) -> list[int]:
    """Change these photos' marks (KEEP leaves a field; None clears a label or a flag), in one
    transaction, logged as one step for undo (``what`` names it) unless ``log`` is False (a
    value read from a sidecar is not the user's action). The photos that changed."""
    Marks().with_changes(stars, label, flag)  # a bad value fails here, before any write
    ids = list(dict.fromkeys(int(i) for i in photo_ids))
    return set_each(catalog, {i: (stars, label, flag) for i in ids}, what=what, log=log)


def set_each(
    catalog: Catalog,
    changes: dict[int, tuple],
    *,
    what: str = "marks",
    log: bool = True,
) -> list[int]:
    """:func:`set_marks` with a change of its own for each photo: {photo id: (stars, label,
    flag)}, each KEEP or a value; one transaction and one step for undo."""
    now = time.time()
    with catalog.transaction() as conn:
        before = marks_of(catalog, changes)
        changed = {
            i: (old, new)
            for i, old in before.items()
            if (new := old.with_changes(*changes[i])) != old
        }
        if not changed:
            return []
        if log:
            batch = conn.execute("SELECT COALESCE(MAX(batch), 0) + 1 FROM mark_log").fetchone()[0]
            conn.executemany(
                "INSERT INTO mark_log(batch, what, photo_id, stars, label, picked, rejected, at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(batch, what, i, *_row(old), now) for i, (old, _) in changed.items()],
            )
        conn.executemany(
            "UPDATE photos SET stars = ?, label = ?, picked = ?, rejected = ?, updated_at = ? "
            "WHERE id = ?",
            [(*_row(new), now, i) for i, (_, new) in changed.items()],
        )
    return list(changed)


def last_at(catalog: Catalog) -> float | None:
    """When the last change to marks still to undo was made (None: there is none)."""
    return catalog.conn.execute("SELECT MAX(at) FROM mark_log").fetchone()[0]


@dataclass(frozen=True)
class UndoneMarks:
    what: str
    photo_ids: tuple[int, ...]


def undo(catalog: Catalog) -> UndoneMarks | None:
    """Put back the marks the last logged change replaced; None: nothing to undo."""
    with catalog.transaction() as conn:
        batch = conn.execute("SELECT MAX(batch) FROM mark_log").fetchone()[0]
        if batch is None:
            return None
        rows = conn.execute(
            "SELECT what, photo_id, stars, label, picked, rejected FROM mark_log WHERE batch = ?",
            (batch,),
        ).fetchall()
        conn.executemany(
            "UPDATE photos SET stars = ?, label = ?, picked = ?, rejected = ?, updated_at = ? "
            "WHERE id = ?",
            [(*r[2:], time.time(), r[1]) for r in rows],
        )
        conn.execute("DELETE FROM mark_log WHERE batch = ?", (batch,))
    return UndoneMarks(rows[0][0], tuple(r[1] for r in rows))
