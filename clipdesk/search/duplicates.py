"""Near-duplicates and bursts: groups of photos that show the same picture (no Qt).

Two steps, because neither alone is right for every model:

1. **Candidates from the embeddings.** Every pair whose cosine is at least ``threshold``,
   found with a blocked matrix product (``BLOCK_ROWS`` rows against the rest at a time:
   exact, memory bounded by the block, 100k photos in one pass). With ``within`` seconds,
   photos are sorted by their EXIF DateTimeOriginal and each block is compared only with
   the photos taken within that window (bursts), which is near-linear in the library and
   how a million photos are grouped.
2. **Checked on the picture itself.** A CLIP embedding says what a photo shows, not which
   photo it is: two different photos of a red circle on grass can be closer than a photo
   and its 10% crop (the project's test model gives 0.994 for two different photos of the
   same shape and 0.960 for a crop). Each candidate pair is confirmed by its layout: the
   thumbnails reduced to ``LAYOUT_SIDE`` x ``LAYOUT_SIDE`` colour cells, mean-removed,
   compared by cosine. Resized, recompressed, lightly cropped and EXIF-rotated copies keep
   their layout (thumbnails are stored upright); different photos of the same thing do not.
   ``benchmarks/duplicates.py`` and tests/test_duplicates.py show both distributions.

Groups are the connected components of confirmed pairs. Each group names a suggested
keeper: the most pixels, then the largest file (at the same size, the least compressed: a
recompressed copy's blocking artefacts would pass for sharpness), then the sharpest thumbnail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np

from clipdesk.catalog import Catalog
from clipdesk.catalog.db import PhotoRow
from clipdesk.catalog.vectors import load_vectors

if TYPE_CHECKING:
    from clipdesk.imaging.thumbnails import ThumbnailCache

# Defaults: see the module docstring. On real CLIP models (ViT-B-32) resized and
# recompressed copies score above 0.97 and 10% crops above 0.92; the layout check keeps
# the threshold's false friends out.
THRESHOLD = 0.92
LAYOUT_THRESHOLD = 0.75
LAYOUT_SIDE = 8
BLOCK_ROWS = 1024


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

    @property
    def pixels(self) -> int:
        return (self.width or 0) * (self.height or 0)


@dataclass
class Group:
    members: list[Member] = field(default_factory=list)

    @property
    def keeper(self) -> Member:
        return self.members[0]

    def to_json(self) -> dict:
        return {
            "keeper": self.keeper.path,
            "photos": [
                {
                    "path": m.path,
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


def _seconds(taken_at: str | None) -> float | None:
    if not taken_at:
        return None
    try:
        return datetime.fromisoformat(taken_at.replace(" ", "T")[:19]).timestamp()
    except ValueError:
        return None


def candidate_pairs(
    matrix: np.ndarray,
    threshold: float,
    times: np.ndarray | None = None,
    within: float | None = None,
    block: int = BLOCK_ROWS,
) -> Iterator[tuple[int, int, float]]:
    """(row i, row j, cosine) for i < j with cosine >= ``threshold``; rows L2-normalised.

    With ``times`` (seconds, rows sorted by them) and ``within``, only rows whose times are
    at most ``within`` apart are compared: row i against row i + d for d = 1, 2, ... while
    any such pair is still within the window. The work is the number of pairs taken within
    the window (times the vector length), not the square of the library."""
    if times is None or within is None:
        yield from _blocked(matrix, threshold, block)
    else:
        yield from _banded(matrix, threshold, times, within)


def _blocked(matrix, threshold, block):
    """Every pair: each block of rows against itself and every row after it."""
    n = len(matrix)
    for start in range(0, n, block):
        stop = min(start + block, n)
        rows = np.asarray(matrix[start:stop], dtype=np.float32)
        other = np.asarray(matrix[start:], dtype=np.float32)
        sims = rows @ other.T  # (block, n - start): the upper triangle from `start` on
        ii, jj = np.nonzero(sims >= threshold)
        keep = jj > ii  # the pair once, never a photo with itself
        for i, j in zip(ii[keep].tolist(), jj[keep].tolist(), strict=True):
            yield start + i, start + j, float(sims[i, j])


def _banded(matrix, threshold, times, within, chunk: int = 65536):
    """Pairs taken at most ``within`` apart, rows sorted by time: once row i + d is too
    late for row i, so is every later row, so row i leaves the active set."""
    n = len(matrix)
    active = np.arange(n - 1)
    d = 1
    while active.size:
        active = active[active + d < n]
        active = active[times[active + d] - times[active] <= within]
        for part in range(0, active.size, chunk):
            i = active[part : part + chunk]
            a = np.asarray(matrix[i], dtype=np.float32)
            b = np.asarray(matrix[i + d], dtype=np.float32)
            sims = np.einsum("ij,ij->i", a, b)
            hit = np.flatnonzero(sims >= threshold)
            for k in hit.tolist():
                yield int(i[k]), int(i[k]) + d, float(sims[k])
        d += 1


class _Union:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        self.parent.setdefault(x, x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:  # path compression
            self.parent[x], x = root, self.parent[x]
        return root

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def groups(self) -> list[list[int]]:
        out: dict[int, list[int]] = {}
        for x in self.parent:
            out.setdefault(self.find(x), []).append(x)
        return [sorted(g) for g in out.values() if len(g) > 1]


class Layouts:
    """The thumbnails' small colour layouts and sharpness, read once per photo."""

    def __init__(self, thumbnails: ThumbnailCache, side: int = LAYOUT_SIDE) -> None:
        self.thumbnails = thumbnails
        self.side = side
        self._cache: dict[str, tuple[np.ndarray, float] | None] = {}

    def get(self, content_hash: str | None) -> tuple[np.ndarray, float] | None:
        if not content_hash:
            return None
        if content_hash not in self._cache:
            self._cache[content_hash] = self._read(content_hash)
        return self._cache[content_hash]

    def _read(self, content_hash: str) -> tuple[np.ndarray, float] | None:
        from PIL import Image

        try:
            with Image.open(self.thumbnails.path_for(content_hash)) as im:
                rgb = im.convert("RGB")
        except (OSError, ValueError, Image.DecompressionBombError):
            return None
        cells = np.asarray(rgb.resize((self.side, self.side), Image.Resampling.BOX), np.float32)
        flat = (cells.reshape(-1, 3) - cells.reshape(-1, 3).mean(0)).reshape(-1)
        grey = np.asarray(rgb.convert("L"), np.float32)
        lap = (
            grey[1:-1, :-2] + grey[1:-1, 2:] + grey[:-2, 1:-1] + grey[2:, 1:-1]
            - 4 * grey[1:-1, 1:-1]
        )  # fmt: skip
        return flat / max(float(np.linalg.norm(flat)), 1e-6), float(lap.var()) if lap.size else 0.0

    def similar(self, a: str | None, b: str | None) -> float | None:
        la, lb = self.get(a), self.get(b)
        if la is None or lb is None:
            return None
        return float(la[0] @ lb[0])


def find_groups(
    catalog: Catalog,
    model_id: int,
    thumbnails: ThumbnailCache,
    threshold: float = THRESHOLD,
    layout_threshold: float | None = LAYOUT_THRESHOLD,
    within: float | None = None,
    only: np.ndarray | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Group]:
    """Groups of near-duplicate photos, largest first; each group's keeper comes first.

    ``layout_threshold`` None skips the check on the pictures (embeddings alone);
    ``within`` (seconds) keeps only pairs taken that close together (bursts); photos with
    no capture time are then left out. ``only``: restrict to these photo ids."""
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
    union = _Union()
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
        group = Group([_member(row(int(ids[k])), layouts) for k in members])
        group.members.sort(
            key=lambda m: (-m.pixels, -m.size, -(m.sharpness or 0.0), m.path)
        )  # the keeper first
        by_id = {int(ids[k]): k for k in members}
        keeper_vec = np.asarray(matrix[by_id[group.keeper.photo_id]], np.float32)
        for m in group.members:
            m.score = float(np.asarray(matrix[by_id[m.photo_id]], np.float32) @ keeper_vec)
        groups.append(group)
    groups.sort(key=lambda g: (-len(g.members), g.keeper.path))
    return groups


def _member(row, layouts: Layouts) -> Member:
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
    )
