"""The review queue: the undecided photo-tag pairs the model is least sure about."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from clipdesk.errors import ModelNeeded
from clipdesk.tagging.tagger import logit

if TYPE_CHECKING:
    from clipdesk.tagging.tagger import Tagger


@dataclass(frozen=True)
class ReviewItem:
    photo_id: int
    path: str
    tag_id: int
    tag: str
    score: float
    suggested: bool

    def to_json(self) -> dict:
        return {
            "photo_id": self.photo_id,
            "path": self.path,
            "tag": self.tag,
            "score": round(self.score, 4),
            "suggested": self.suggested,
        }


def review_queue(tagger: Tagger, tag_id: int | None = None, limit: int = 20) -> list[ReviewItem]:
    """Undecided photo-tag pairs the model is least sure about (closest to the threshold).

    Where the model may not be loaded, tags whose vectors are not in the catalog yet (a
    brand-new tag) are left out until a run that has the model computes them."""
    tags = [t for t in tagger.tags_for([tag_id] if tag_id else None) if t.enabled]
    if not tags or tagger.known_model_id is None:
        return []
    ids, matrix = tagger.catalog.embedding_matrix(tagger.model_id)
    if not len(ids):
        return []
    try:
        probs = tagger.probabilities(matrix, tags)
        seen, _ = tagger.suggestable(tags, matrix)
    except ModelNeeded:
        tags = tagger.cached(tags)
        if not tags:
            return []
        probs = tagger.probabilities(matrix, tags)
        seen, _ = tagger.suggestable(tags, matrix)
    if tag_id is None:  # the queue asks about tags the model sees (or was taught)
        tags = [t for t, ok in zip(tags, seen, strict=True) if ok]
        probs = probs[:, seen]
        if not tags:
            return []
    cuts = np.array([logit(t.threshold) for t in tags])
    margin = np.abs(np.log(probs / np.maximum(1 - probs, 1e-12) + 1e-12) - cuts)
    decided = tagger.catalog.conn.execute(
        "SELECT photo_id, tag_id FROM photo_tags WHERE state != 'suggested'"
    ).fetchall()
    index = {p: i for i, p in enumerate(ids.tolist())}
    col = {t.id: j for j, t in enumerate(tags)}
    for p, t in decided:
        if p in index and t in col:
            margin[index[p], col[t]] = np.inf
    flat = np.argsort(margin, axis=None)[:limit]
    out = []
    for f in flat:
        r, c = divmod(int(f), len(tags))
        if not np.isfinite(margin[r, c]):
            break
        row = tagger.catalog.photo(int(ids[r]))
        p = float(probs[r, c])
        tag = tags[c]
        out.append(ReviewItem(int(ids[r]), row.path, tag.id, tag.path, p, p >= tag.threshold))
    return out
