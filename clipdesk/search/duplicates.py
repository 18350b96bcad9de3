"""Near-duplicates and bursts: groups of photos that show the same picture (no Qt).

Two steps, because neither alone is right for every model:

1. **Candidates from the embeddings.** Every pair whose cosine is at least ``threshold``,
   found with a blocked matrix product (near_pairs.py: a block of rows against the rest at a time:
   exact, memory bounded by the block, 100k photos in one pass). With ``within`` seconds,
   photos are sorted by their EXIF DateTimeOriginal and each block is compared only with
   the photos taken within that window (bursts), which is near-linear in the library and
   how a million photos are grouped.
2. **Checked on the picture itself.** A CLIP embedding says what a photo shows, not which
   photo it is: two different photos of a red circle on grass can be closer than a photo
   and its 10% crop (the project's test model gives 0.994 for two different photos of the
   same shape and 0.960 for a crop). Each candidate pair is confirmed by its layout: the
   thumbnails reduced to ``LAYOUT_SIDE`` x ``LAYOUT_SIDE`` colour cells, mean-removed,
   compared by cosine, the second also turned by 90, 180 and 270 degrees. Resized,
   recompressed, lightly cropped and turned copies (by EXIF, or their pixels) keep their
   layout (thumbnails are stored upright); different photos of the same thing do not.
   ``benchmarks/duplicates.py`` and tests/test_duplicates.py show both distributions.

Groups are the connected components of confirmed pairs. Each group names a suggested
keeper: the most pixels, then the largest file (at the same size, the least compressed: a
recompressed copy's blocking artefacts would pass for sharpness), then the sharpest thumbnail.

Each other member is then told apart from the keeper (:class:`Kind`): an **exact copy** has
the same bytes (the whole-content hash); the **same picture** is another file of one image
(recompressed, resized, another format, turned by EXIF or in its pixels): its thumbnail,
reduced to a few cells and turned back, differs from the keeper's by no more than
compression does; anything else is a
**similar shot** (a burst frame, the subject moved, an edit, a crop). Only the first two
are copies a user may reject wholesale; a group of similar shots is a choice to make.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING

import numpy as np

from clipdesk.catalog import Catalog
from clipdesk.catalog.db import PhotoRow
from clipdesk.catalog.vectors import load_vectors
from clipdesk.search.near_pairs import Union, candidate_pairs
from clipdesk.wording import plural

if TYPE_CHECKING:
    from clipdesk.imaging.thumbnails import ThumbnailCache

# Defaults: see the module docstring. On real CLIP models (ViT-B-32) resized and
# recompressed copies score above 0.97 and 10% crops above 0.92; the layout check keeps
# the threshold's false friends out.
THRESHOLD = 0.92
LAYOUT_THRESHOLD = 0.75
LAYOUT_SIDE = 8

# The same picture: the two thumbnails, reduced to at most PICTURE_SIDE x PICTURE_SIDE cells
# of at least PICTURE_CELL pixels, differ by at most PICTURE_DIFF (of 255) in every cell and
# channel, have one aspect ratio (the log of their ratio within ASPECT_SLACK) and embeddings
# at least SAME_SCORE alike. Measured with the test model on synthetic photos (write_folder's
# 36 and 36 placed shapes at 300-800 px, each re-saved 12 ways and shot again 10 ways):
# re-saves at JPEG quality 40-95, half or 3/4 size, PNG and EXIF turns differ by at most 10
# (12.6 for one 33x57 half of a tiny photo), in aspect by 0.008, and score 0.976 or more; a
# shape moved by 1% of the width differs by 16 or more, recoloured by 15 levels 15, a 2% pan
# 17. A copy taken for a similar shot is only not rejected by default: the safe side.
PICTURE_SIDE = 16
PICTURE_CELL = 8
PICTURE_DIFF = 12.0
ASPECT_SLACK = 0.03
SAME_SCORE = 0.96


class Kind(Enum):
    """What a member of a group is to its keeper, from the closest to the loosest."""

    EXACT = "exact"  # the same bytes
    SAME = "same"  # the same picture in another file
    SIMILAR = "similar"  # another shot: a burst frame, a moved subject, an edit

    @property
    def label(self) -> str:
        """One member: "exact copy", "same picture", "similar shot"."""
        return _WORDS[self][0]

    @property
    def group_label(self) -> str:
        """A group: "exact copies", "same picture", "similar shots"."""
        return _WORDS[self][1]

    def count(self, n: int) -> str:
        """``n`` members of this kind: "1 exact copy", "2 copies of the same picture"."""
        return plural(n, *_WORDS[self][2:])


_WORDS = {
    Kind.EXACT: ("exact copy", "exact copies", "exact copy", "exact copies"),
    Kind.SAME: (
        "same picture",
        "same picture",
        "copy of the same picture",
        "copies of the same picture",
    ),
    Kind.SIMILAR: ("similar shot", "similar shots", "similar shot", "similar shots"),
}
COPIES = frozenset({Kind.EXACT, Kind.SAME})  # what rejecting "the copies" means


@dataclass
class Member:
    photo_id: int
    path: str
    hash: str
    width: int | None
    height: int | None
    size: int
    taken_at: str | None
    sharpness: float | None = None
    score: float = 1.0  # cosine with the group's keeper
    kind: Kind | None = None  # what it is to the group's keeper; None for the keeper
    full_hash: str | None = None  # the whole content's, where known (pipeline/identity.py)
    vector: np.ndarray | None = field(default=None, repr=False, compare=False)
    picture: Picture | None = field(default=None, repr=False, compare=False)

    @property
    def pixels(self) -> int:
        return (self.width or 0) * (self.height or 0)


@dataclass
class Group:
    members: list[Member] = field(default_factory=list)

    @property
    def keeper(self) -> Member:
        return self.members[0]

    @property
    def kind(self) -> Kind:
        """The loosest of its members' kinds: a group with one similar shot is not copies."""
        kinds = {m.kind for m in self.members[1:]}
        return max(kinds - {None}, key=list(Kind).index, default=Kind.EXACT)

    def set_keeper(self, photo_id: int) -> None:
        """Put ``photo_id`` first; every member's score and kind are taken against it."""
        self.members.sort(key=lambda m: m.photo_id != photo_id)  # stable: the rest keep order
        keeper = self.keeper
        for m in self.members:
            if m.vector is not None and keeper.vector is not None:
                m.score = float(m.vector @ keeper.vector)
            m.kind = None if m is keeper else kind_of(keeper, m)

    def to_json(self) -> dict:
        return {
            "keeper": self.keeper.path,
            "kind": self.kind.value,
            "photos": [
                {
                    "path": m.path,
                    "kind": None if m.kind is None else m.kind.value,
                    "width": m.width,
                    "height": m.height,
                    "size": m.size,
                    "taken_at": m.taken_at,
                    "sharpness": None if m.sharpness is None else round(m.sharpness, 2),
                    "score": round(m.score, 4),
                }
                for m in self.members
            ],
        }


@dataclass(frozen=True)
class Picture:
    """A thumbnail reduced to PICTURE_SIDE x PICTURE_SIDE colour cells, and its size."""

    cells: np.ndarray  # (PICTURE_SIDE, PICTURE_SIDE, 3) uint8: area means (a box filter)
    width: int
    height: int

    def differs(self, other: Picture) -> float:
        """The largest difference of a cell's colour, on a grid whose cells cover at least
        PICTURE_CELL pixels of the smaller thumbnail (finer would compare resampling noise)."""
        short, side = min(self.width, self.height, other.width, other.height), PICTURE_SIDE
        while side > 4 and short < side * PICTURE_CELL:
            side //= 2
        f = PICTURE_SIDE // side  # box means of box means: the coarser grid, exactly
        a, b = (p.cells.reshape(side, f, side, f, 3).mean((1, 3)) for p in (self, other))
        return float(np.abs(a - b).max())

    def turned(self, k: int) -> Picture:
        """The picture turned by ``k`` quarter turns counter-clockwise."""
        w, h = (self.height, self.width) if k % 2 else (self.width, self.height)
        return Picture(np.rot90(self.cells, k), w, h)

    def same_shape(self, other: Picture) -> bool:
        ratio = (self.width * other.height) / max(self.height * other.width, 1)
        return abs(math.log(max(ratio, 1e-9))) <= ASPECT_SLACK


def kind_of(keeper: Member, m: Member) -> Kind:
    """What ``m`` is to ``keeper``; its ``score`` must be against the keeper already."""
    if m.full_hash and m.full_hash == keeper.full_hash and m.size == keeper.size:
        return Kind.EXACT
    a, b = keeper.picture, m.picture
    if a is None or b is None:
        return Kind.SIMILAR
    if m.score >= SAME_SCORE and a.same_shape(b) and a.differs(b) <= PICTURE_DIFF:
        return Kind.SAME
    # Its pixels turned: the embedding moves more than a re-save moves it (a turned copy
    # scored 0.94-0.99 on the test model), so only the picture, turned back, decides.
    for k in (1, 2, 3):
        back = b.turned(k)
        if a.same_shape(back) and a.differs(back) <= PICTURE_DIFF:
            return Kind.SAME
    return Kind.SIMILAR


def restrict(groups: Iterable[Group], kinds: Collection[Kind] | None) -> list[Group]:
    """Each group with only its keeper and the members of ``kinds`` (all when empty); a
    group left with its keeper alone is dropped. The members are the same objects."""
    if not kinds:
        return list(groups)
    out = []
    for g in groups:
        chosen = [m for m in g.members[1:] if m.kind in kinds]
        if chosen:
            out.append(Group([g.keeper, *chosen]))
    return out


def count_kinds(members: Iterable[Member]) -> str:
    """ "2 exact copies, 1 similar shot": the members' kinds counted, the keepers left out."""
    kinds = [m.kind for m in members if m.kind is not None]
    return ", ".join(k.count(kinds.count(k)) for k in Kind if k in kinds)


def _seconds(taken_at: str | None) -> float | None:
    if not taken_at:
        return None
    try:
        return datetime.fromisoformat(taken_at.replace(" ", "T")[:19]).timestamp()
    except ValueError:
        return None


class Layouts:
    """The thumbnails' small colour layouts, sharpness and :class:`Picture`, read once per
    photo."""

    def __init__(self, thumbnails: ThumbnailCache, side: int = LAYOUT_SIDE) -> None:
        self.thumbnails = thumbnails
        self.side = side
        self._cache: dict[str, tuple[np.ndarray, float, Picture] | None] = {}

    def get(self, content_hash: str | None) -> tuple[np.ndarray, float, Picture] | None:
        if not content_hash:
            return None
        if content_hash not in self._cache:
            self._cache[content_hash] = self._read(content_hash)
        return self._cache[content_hash]

    def _read(self, content_hash: str) -> tuple[np.ndarray, float, Picture] | None:
        from PIL import Image

        try:
            with Image.open(self.thumbnails.path_for(content_hash)) as im:
                rgb = im.convert("RGB")
        except (OSError, ValueError, Image.DecompressionBombError):
            return None
        cells = np.asarray(rgb.resize((self.side, self.side), Image.Resampling.BOX), np.float32)
        turns = tuple(_unit_layout(np.rot90(cells, k)) for k in range(4))
        grey = np.asarray(rgb.convert("L"), np.float32)
        lap = (
            grey[1:-1, :-2] + grey[1:-1, 2:] + grey[:-2, 1:-1] + grey[2:, 1:-1]
            - 4 * grey[1:-1, 1:-1]
        )  # fmt: skip
        side = PICTURE_SIDE
        picture = Picture(np.asarray(rgb.resize((side, side), Image.Resampling.BOX)), *rgb.size)
        sharpness = float(lap.var()) if lap.size else 0.0
        return turns, sharpness, picture

    def similar(self, a: str | None, b: str | None) -> float | None:
        """The layouts' cosine, the best of ``b`` turned 0, 90, 180 and 270 degrees: a copy
        whose pixels were turned (not by EXIF) keeps its layout, turned."""
        la, lb = self.get(a), self.get(b)
        if la is None or lb is None:
            return None
        return max(float(la[0][0] @ turned) for turned in lb[0])


def _unit_layout(cells: np.ndarray) -> np.ndarray:
    flat = (cells.reshape(-1, 3) - cells.reshape(-1, 3).mean(0)).reshape(-1)
    return flat / max(float(np.linalg.norm(flat)), 1e-6)


def find_groups(
    catalog: Catalog,
    model_id: int,
    thumbnails: ThumbnailCache,
    threshold: float = THRESHOLD,
    layout_threshold: float | None = LAYOUT_THRESHOLD,
    within: float | None = None,
    only: np.ndarray | None = None,
    progress: Callable[[int, int], None] | None = None,
    file_hash: Callable[[str], str] | None = None,
) -> list[Group]:
    """Groups of near-duplicate photos, largest first; each group's keeper comes first,
    each other member's :class:`Kind` taken against it.

    ``layout_threshold`` None skips the check on the pictures (embeddings alone);
    ``within`` (seconds) keeps only pairs taken that close together (bursts); photos with
    no capture time are then left out. ``only``: restrict to these photo ids.
    ``file_hash``: a path's whole-content hash, for the members that could be exact copies
    and whose hash the catalog does not hold yet (without it they are never exact)."""
    vectors = load_vectors(catalog, model_id)
    ids, matrix = np.asarray(vectors.ids), vectors.matrix
    if only is not None:
        keep = np.isin(ids, only)
        ids, matrix = ids[keep], np.asarray(matrix)[keep]
    rows: dict[int, PhotoRow | None] = {}  # read only for photos in a candidate pair

    def row(pid: int):
        if pid not in rows:
            rows[pid] = catalog.photo(pid)
        return rows[pid]

    times = None
    if within is not None:
        taken = catalog.capture_times()
        secs = np.array([_seconds(taken.get(int(p))) for p in ids])
        dated = np.array([s is not None for s in secs], bool)
        order = np.argsort(np.where(dated, secs, 0).astype(np.float64)[dated], kind="stable")
        ids, matrix = ids[dated][order], np.asarray(matrix)[dated][order]
        times = secs[dated][order].astype(np.float64)
    layouts = Layouts(thumbnails)
    union = Union()
    n = len(ids)
    for done, (i, j, _score) in enumerate(candidate_pairs(matrix, threshold, times, within)):
        a, b = row(int(ids[i])), row(int(ids[j]))
        if a is None or b is None:
            continue
        if layout_threshold is not None:
            same = layouts.similar(a.hash, b.hash)
            if same is None or same < layout_threshold:
                continue
        union.join(i, j)
        if progress and done % 256 == 0:
            progress(i, n)
    groups = []
    for members in union.groups():
        group = Group([_member(row(int(ids[k])), matrix[k], layouts) for k in members])
        group.members.sort(key=lambda m: (-m.pixels, -m.size, -(m.sharpness or 0.0), m.path))
        _whole_hashes(group.members, file_hash)
        group.set_keeper(group.members[0].photo_id)
        groups.append(group)
    groups.sort(key=lambda g: (-len(g.members), g.keeper.path))
    return groups


def _member(row, vector, layouts: Layouts) -> Member:
    got = layouts.get(row.hash)
    return Member(
        photo_id=row.id,
        path=row.path,
        hash=row.hash,
        width=row.width,
        height=row.height,
        size=row.size,
        taken_at=row.taken_at,
        sharpness=None if got is None else got[1],
        full_hash=row.full_hash,
        vector=np.asarray(vector, np.float32),
        picture=None if got is None else got[2],
    )


def _whole_hashes(members: list[Member], file_hash: Callable[[str], str] | None) -> None:
    """Hash the whole file of each member that shares its size and sampled hash with
    another (only those can be exact copies) and whose hash the catalog lacks."""
    if file_hash is None:
        return
    twins: dict[tuple[int, str], int] = {}
    for m in members:
        twins[m.size, m.hash] = twins.get((m.size, m.hash), 0) + 1
    for m in members:
        if m.full_hash is None and twins[m.size, m.hash] > 1:
            try:
                m.full_hash = file_hash(m.path)
            except OSError:  # gone or unreadable: not known to be a copy
                pass
