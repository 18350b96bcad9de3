"""A parsed query as one vector, its ranking, and the cut-off between matches and the rest.

**The vector** is combined the way rclip combines its queries (``rclip/model.py``,
``compute_features_for_queries`` and ``compute_similarities_to_text``): each term's text
embedding and each example photo's image embedding (all L2-normalised) times its weight,
the positive ones summed, the negative ones subtracted. Unlike rclip we normalise the
result, so that a score stays a cosine and the cut-off below reads the same for any query.

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
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from clipdesk.catalog import Catalog
from clipdesk.embedding import Embedder
from clipdesk.query import Query, Term
from clipdesk.search import VectorIndex, example_vector

FLOOR_FACTOR = 3.0
# A '+' term is required: a photo it does not lift above the median by at least one floor
# (as much as a meaningless query lifts the top 1%) is a weaker match, whatever the rest
# of the query says. One floor, not three: a required term is usually a second attribute
# the rest of the query already narrows (red +circle), and the test model knows a shape
# alone only weakly (circles 1.6 floors and up).
REQUIRED_FACTOR = 1.0
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
        self.index = weakref.proxy(index)
        self.sample = np.asarray(index.matrix[rows], dtype=np.float32)  # evenly spaced rows
        s = self.sample @ reference
        # cosine: how far a meaningless query lifts the top 1% above the median
        self.floor = quantile(s, 0.99) - quantile(s, 0.5)
        self._sorter: np.ndarray | None = None

    def cutoff(self, vector: np.ndarray, factor: float = FLOOR_FACTOR) -> float:
        return quantile(self.sample @ vector, 0.5) + factor * self.floor

    def vectors(self, photo_ids: np.ndarray) -> np.ndarray:
        """The stored vectors of these photos (for the '+' terms' own scores)."""
        if self._sorter is None:  # once per index, and only for a query with '+' terms
            self._sorter = np.argsort(self.index.ids, kind="stable")
        rows = self._sorter[np.searchsorted(self.index.ids, photo_ids, sorter=self._sorter)]
        return np.asarray(self.index.matrix[rows], np.float32)


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


@dataclass
class Ranking:
    """The best ``limit`` photos for a query, best first, and which of them are matches."""

    ranked: list[tuple[int, float]]
    matches: list[bool]  # per ranked photo: above the cut-off (and every required term's)
    cutoff: float | None  # the score a match reaches; None: nothing is hidden

    @property
    def hidden(self) -> int:
        return self.matches.count(False)

    def shown(self, show_all: bool = False) -> list[tuple[int, float]]:
        if show_all:
            return list(self.ranked)
        return [r for r, ok in zip(self.ranked, self.matches, strict=True) if ok]


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
    limit: int,
    only: np.ndarray | None = None,
    min_score: float | None = None,
) -> Ranking:
    """Rank the library for ``query`` (terms and example photos); the cut-off applies to
    queries with text (an example alone ranks its nearest photos, all shown)."""
    model_id = catalog.model_id(embedder.name, embedder.dim)
    terms: list[Term] = list(query.terms)
    texts = embedder.encode_texts([t.text for t in terms]) if terms else np.zeros((0,))
    parts = [(-t.weight if t.negative else t.weight, v) for t, v in zip(terms, texts, strict=True)]
    examples = [example(catalog, embedder, model_id, x) for x in query.like]
    parts += [(1.0, e.vector) for e in examples]
    vector = combine(parts)
    skip = {e.photo_id for e in examples if e.photo_id is not None}
    ranked = index.top(vector, limit + len(skip), only=only)
    ranked = [r for r in ranked if r[0] not in skip][:limit]

    cal = calibration(index, reference_vector(catalog, embedder)) if terms else None
    cutoff = min_score if min_score is not None else (cal.cutoff(vector) if cal else None)
    matches = [cutoff is None or score >= cutoff for _, score in ranked]
    required = [(t, v) for t, v in zip(terms, texts, strict=True) if t.required]
    if cal is not None and required and ranked:
        vectors = cal.vectors(np.array([r[0] for r in ranked], np.int64))
        for _, v in required:
            v = _normalised(v)
            ok = vectors @ v >= cal.cutoff(v, REQUIRED_FACTOR)
            matches = [m and bool(o) for m, o in zip(matches, ok, strict=True)]
    return Ranking(ranked, matches, cutoff)
