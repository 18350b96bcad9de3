"""A parsed query as one vector, its ranking, and the cut-off between matches and the rest.

**The vector** is combined the way rclip combines its queries (``rclip/model.py``,
``compute_features_for_queries`` and ``compute_similarities_to_text``): each term's text
embedding and each example photo's image embedding (all L2-normalised) times its weight,
the positive ones summed, the negative ones subtracted. Unlike rclip we normalise the
result, so that a score stays a cosine. The photos are ranked, and their scores shown, by
this vector alone.

**The cut-off** has to work for any model: cosine scores from CLIP models differ in scale
(a good text match is about 0.3 for OpenAI's ViT-B-32 and 0.45 for the test model). So it
is measured, per model and library, against a query that means nothing: the reference
prompts the zero-shot tagger already compares every tag with ("a photo.", "a picture.",
...; their vector is in the catalog). How far such a query lifts the top 1% of the
library above its median photo is the *noise floor*; a photo is a match when the query
lifts it above the library's median by at least ``FLOOR_FACTOR`` times that floor.

Measured on the test model (libraries of 72 and 144 generated photos, 4 and 8 per
colour-shape class; the floor is 0.13 in cosine, 2.0 logits), in floors above the median:
20 words the model never learned (giraffe, sunset, "a dog on a beach", people, a car,
...) lift no photo more than 2.2, except "city at night", which lifts dark photos to 4.0;
a colour lifts every photo of it by at least 3.6 and other photos by at most 1.7; a
colour-shape class lifts its photos by at least 5.1, and its partial matches (same colour
or same shape) by up to 6.1. Hence ``FLOOR_FACTOR = 3``: between what unknown words reach
and what a present colour does. A z-score (the gap over the spread of the query's own
scores) does not separate them: an absent colour still has outliers (z 3.1) above the
photos of a present colour-shape class (z 2.1), since any query's scores have a tail. The
test model knows a shape alone weakly ("circle" lifts circles 1.6 to 2.0 floors and other
photos up to 2.0), so for a shape alone the cut-off shows few photos or none; that is the
model's limit, and the message says so ("no photo matches 'circle' well").

**Each part of a query is judged on its own vector.** The floor is the scale of one
query's lift, and the combined vector of a query with '-' terms is not on that scale:
subtracting a term takes away much of what lifts the photos the query wants (on the test
model, libraries of 54, 72 and 144 photos, "blue" lifts the blue circles and triangles 3.6
to 5.1 floors, "blue -square" 0.9 to 4.2), so a cut-off on it would hide the very photos
the ranking puts first. So:

- the *positive part* (the positive terms and the example photos, combined as above) has
  to reach ``FLOOR_FACTOR`` floors; without '-' terms it is the combined vector itself;
- a '+' term has to reach ``REQUIRED_FACTOR`` floors on its own;
- a '-' term leaves out every photo it lifts by ``EXCLUDE_FACTOR`` floors or more, divided
  by its weight (``-people:2`` leaves out what people lift by 0.75 floors and up).

``min_score`` (the user's own cut-off) replaces the positive part's, on the score shown;
the '+' and '-' terms still do what they say. An example photo alone is not judged (it
lists its nearest photos), nor is a library too small to have a typical photo.

**Hidden** counts every photo searched (the filtered library, less the example photos)
that the cut-off judged out, not only those among the best few: the terminal lists the
best ``--limit`` of the matches and the window all of them, and both report the same
number hidden for the same search. "Show N more" and ``--all`` list the hidden photos
where the combined vector ranks them.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from clipdesk.catalog import Catalog
from clipdesk.embedding import Embedder
from clipdesk.search.index import VectorIndex, example_vector
from clipdesk.search.query import Query, Term

FLOOR_FACTOR = 3.0
# A '+' term is required: a photo it does not lift above the median by at least one floor
# (as much as a meaningless query lifts the top 1%) is a weaker match, whatever the rest
# of the query says. One floor, not three: a required term is usually a second attribute
# the rest of the query already narrows (red +circle), and the test model knows a shape
# alone only weakly (circles 1.6 floors and up).
REQUIRED_FACTOR = 1.0
# A '-' term leaves out the photos it lifts by 1.5 floors (at weight 1). Less than three:
# it names an attribute among the photos the rest of the query finds (blue -square), which
# the model may know only weakly. Measured on the test model (libraries of 54, 72 and 144
# photos; every "colour -shape", "shape -colour", "colour -colour" and "colour -word it
# never learned"): at 1.5 a '-shape' leaves out 97% of the wanted colour's photos of that
# shape and wrongly 5% of its others (at 3: 19% and 0%; at 1: 99% and 8%); a '-colour'
# leaves out all of its colour and wrongly 2% of the rest; a word the model never learned
# leaves out under 1% ("city at night" leaves out dark photos: it lifts them to 4 floors).
EXCLUDE_FACTOR = 1.5
# The statistics come from evenly spaced rows, enough for a stable median and 99th
# percentile, without a second pass over a large library.
SAMPLE_ROWS = 4096
# Below this many photos there is no "typical photo" to stand out from: nothing is hidden.
MIN_PHOTOS = 10


def quantile(values: np.ndarray, q: float) -> float:
    """``np.quantile(values, q)`` (linear interpolation) by a partial sort: numpy's
    percentile and median import numpy.ma, ~15 ms of every cold search."""
    at = q * (len(values) - 1)
    lo = int(np.floor(at))
    hi = min(lo + 1, len(values) - 1)
    part = np.partition(values, [lo, hi])
    return float(part[lo] + (part[hi] - part[lo]) * (at - lo))


class Calibration:
    """What the cut-off needs from one library's vectors (kept per loaded index)."""

    def __init__(self, index: VectorIndex, reference: np.ndarray):
        # evenly spaced and strictly increasing (the step is at least 1)
        rows = np.linspace(0, len(index) - 1, min(SAMPLE_ROWS, len(index))).astype(int)
        self.sample = np.asarray(index.matrix[rows], dtype=np.float32)  # evenly spaced rows
        s = self.sample @ reference
        # cosine: how far a meaningless query lifts the top 1% above the median
        self.floor = quantile(s, 0.99) - quantile(s, 0.5)

    def cutoff(self, vector: np.ndarray, factor: float = FLOOR_FACTOR) -> float:
        return quantile(self.sample @ vector, 0.5) + factor * self.floor


_calibrations: weakref.WeakKeyDictionary[VectorIndex, Calibration] = weakref.WeakKeyDictionary()


def reference_vector(catalog: Catalog, embedder: Embedder) -> np.ndarray:
    """The reference prompts' vector: remembered in the catalog by the tagger, else encoded
    (not stored: a search only reads the catalog)."""
    facts = catalog.model_facts(embedder.name)
    if facts is not None and len(facts["reference"]) == embedder.dim:
        return np.asarray(facts["reference"], np.float32)
    from clipdesk.tagging.tagger import REFERENCE_PROMPTS  # the tagger's, when not stored

    v = embedder.encode_texts(list(REFERENCE_PROMPTS)).mean(0)
    return (v / max(float(np.linalg.norm(v)), 1e-12)).astype(np.float32)


def calibration(index: VectorIndex, reference: np.ndarray) -> Calibration | None:
    """The index's calibration (None for a library too small to have a typical photo)."""
    if len(index) < MIN_PHOTOS:
        return None
    known = _calibrations.get(index)
    if known is None:
        known = _calibrations[index] = Calibration(index, reference)
    return known


def _normalised(v: np.ndarray) -> np.ndarray:
    return (v / max(float(np.linalg.norm(v)), 1e-12)).astype(np.float32)


def combine(parts: list[tuple[float, np.ndarray]]) -> np.ndarray:
    """sum(weight * vector), normalised; a negative weight subtracts (rclip's combination)."""
    total = np.zeros_like(parts[0][1], dtype=np.float32)
    for weight, vector in parts:
        total += np.float32(weight) * _normalised(np.asarray(vector, np.float32))
    return _normalised(total)


@dataclass(frozen=True)
class Ranking:
    """What a search lists, best first by the combined vector, and what the cut-off judged
    of the photos searched (the filtered library, less the example photos)."""

    ids: np.ndarray  # int64 photo ids, best first
    scores: np.ndarray  # float32, the combined vector's cosine
    matches: int  # photos the cut-off kept, ``ids`` and those past the limit (nothing
    # judged, as with ``show_all``: those listed)
    hidden: int  # photos it judged out (0 when nothing is judged)

    @property
    def unlisted(self) -> int:
        """Matches past the limit."""
        return self.matches - len(self.ids)

    def pairs(self) -> list[tuple[int, float]]:
        return [(int(i), float(s)) for i, s in zip(self.ids, self.scores, strict=True)]


@dataclass(frozen=True)
class Example:
    vector: np.ndarray
    photo_id: int | None  # in the library: it is not a result of its own search


def example(
    catalog: Catalog, embedder: Embedder, model_id: int, photo: int | str | Path
) -> Example:
    """An example photo's vector: a photo id, or a path (in the library or any image)."""
    if isinstance(photo, int):
        vector = catalog.embedding(photo, model_id)
        if vector is None:
            raise LookupError(f"photo {photo} has no embedding for {embedder.name} yet")
        return Example(np.asarray(vector, np.float32), photo)
    from clipdesk.imaging import ImageError  # a text search never decodes a photo

    try:
        vector, row_id = example_vector(catalog, embedder, model_id, photo)
    except ImageError as exc:
        raise LookupError(f"{photo}: {exc}") from None
    return Example(vector, row_id)


def rank(
    catalog: Catalog,
    embedder: Embedder,
    index: VectorIndex,
    query: Query,
    limit: int | None = None,
    only: np.ndarray | None = None,
    min_score: float | None = None,
    show_all: bool = False,
) -> Ranking:
    """Rank the searched photos for ``query`` (terms and example photos) and judge them
    (the rules are in this module's docstring); list the best ``limit`` matches (None:
    all), or with ``show_all`` the best ``limit`` photos whatever the verdict."""
    model_id = catalog.model_id(embedder.name, embedder.dim)
    terms: list[Term] = list(query.terms)
    texts = embedder.encode_texts([t.text for t in terms]) if terms else np.zeros((0,))
    texts = [_normalised(v) for v in texts]
    examples = [example(catalog, embedder, model_id, x) for x in query.like]
    parts = [(-t.weight if t.negative else t.weight, v) for t, v in zip(terms, texts, strict=True)]
    parts += [(1.0, e.vector) for e in examples]
    vector = combine(parts)
    skip = np.array(sorted({e.photo_id for e in examples if e.photo_id is not None}), np.int64)
    searched = _searched(index, only, skip)
    cal = calibration(index, reference_vector(catalog, embedder)) if terms else None

    # The positive part's test (or the user's own score), then the terms' own tests.
    gate: tuple[np.ndarray, float] | None = None
    if min_score is not None:
        gate = (vector, min_score)
    elif cal is not None and query.positive:
        positive = combine([p for p in parts if p[0] > 0]) if query.negative else vector
        gate = (positive, cal.cutoff(positive))
    tests: list[tuple[np.ndarray, float, bool]] = []  # (vector, threshold, photo must reach)
    if cal is not None:
        for t, v in zip(terms, texts, strict=True):
            if t.required:
                tests.append((v, cal.cutoff(v, REQUIRED_FACTOR), True))
            elif t.negative:
                tests.append((v, cal.cutoff(v, EXCLUDE_FACTOR / t.weight), False))
    if show_all or (gate is None and not tests):  # nothing judged: the best are listed
        ids, scores = _best(index, vector, limit, searched, only, skip)
        return Ranking(ids, scores, len(ids), 0)

    first, threshold = gate if gate is not None else (vector, -np.inf)
    rows, scores = index.above(first, threshold, searched)
    keep = np.ones(len(rows), bool)
    columns = [v for v, _, _ in tests] + ([vector] if first is not vector else [])
    if columns and len(rows):
        own = index.scores_at(rows, np.stack(columns))
        for j, (_, at, must) in enumerate(tests):
            keep &= (own[:, j] >= at) if must else (own[:, j] < at)
        if first is not vector:
            scores = own[:, -1]
    rows, scores = rows[keep], scores[keep]
    order = np.argsort(-scores, kind="stable")[:limit]
    n = len(index) if searched is None else int(searched.sum())
    return Ranking(
        index.ids[rows[order]].astype(np.int64),
        scores[order].astype(np.float32),
        len(rows),
        n - len(rows),
    )


def _searched(index: VectorIndex, only: np.ndarray | None, skip: np.ndarray) -> np.ndarray | None:
    """Which rows a search looks at (a bool per row; None: all)."""
    if only is None and not len(skip):
        return None
    mask = np.ones(len(index), bool) if only is None else np.isin(index.ids, only)
    if len(skip):
        mask &= ~np.isin(index.ids, skip)
    return mask


def _best(
    index: VectorIndex,
    vector: np.ndarray,
    limit: int | None,
    searched: np.ndarray | None,
    only: np.ndarray | None,
    skip: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The best ``limit`` searched photos (None: all of them, ranked), whatever their score."""
    if limit is None:
        rows, scores = index.above(vector, -np.inf, searched)
        order = np.argsort(-scores, kind="stable")
        return index.ids[rows[order]].astype(np.int64), scores[order].astype(np.float32)
    left_out = set(skip.tolist())
    ranked = [r for r in index.top(vector, limit + len(skip), only=only) if r[0] not in left_out]
    ranked = ranked[:limit]
    return np.array([r[0] for r in ranked], np.int64), np.array([r[1] for r in ranked], np.float32)
