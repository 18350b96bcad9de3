"""Scoring photos against the vocabulary, keeping suggestions fresh, and retraining heads.

Scores are probabilities: ``sigmoid(x . w + b)`` per tag, where (w, b) is the tag's
learned head if it has one, else the zero-shot prior. Re-scoring only ever adds,
updates or removes rows in state ``suggested`` from source ``model``; a user's
decision (and an imported keyword) is never touched.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass

import numpy as np

from clipdesk.catalog import Catalog
from clipdesk.embedding import Embedder
from clipdesk.tagging import head as heads
from clipdesk.tagging.corrections import labels
from clipdesk.tagging.store import TagRow, TagStore

# "Tag vs a generic photo": the zero-shot prior asks whether a photo is closer to the
# tag's prompts than to these, scaled by the model's own logit scale.
REFERENCE_PROMPTS = ("a photo.", "a picture.", "an image.", "a photo of something.")
CHUNK = 8192


@dataclass
class RescoreResult:
    added: int = 0
    removed: int = 0
    updated: int = 0


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


def _prompts_key(model: str, prompts: list[str]) -> str:
    return hashlib.sha1(json.dumps([model, prompts]).encode()).hexdigest()


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


class Tagger:
    def __init__(self, catalog: Catalog, embedder: Embedder):
        self.catalog = catalog
        self.embedder = embedder
        self.store = TagStore(catalog)
        self.model_id = catalog.model_id(embedder.name, embedder.dim)
        self._reference: np.ndarray | None = None

    # -- vectors and heads ------------------------------------------------------

    def reference(self) -> np.ndarray:
        if self._reference is None:
            v = self.embedder.encode_texts(list(REFERENCE_PROMPTS)).mean(0)
            self._reference = (v / np.linalg.norm(v)).astype(np.float32)
        return self._reference

    def tag_vectors(self, tags: list[TagRow]) -> np.ndarray:
        """Mean of each tag's normalised prompt embeddings, cached until its prompts change."""
        out = np.zeros((len(tags), self.embedder.dim), np.float32)
        missing = []
        for i, tag in enumerate(tags):
            key = _prompts_key(self.embedder.name, tag.spec().effective_prompts())
            row = self.catalog.conn.execute(
                "SELECT prompts_key, vector FROM tag_vectors WHERE tag_id = ? AND model_id = ?",
                (tag.id, self.model_id),
            ).fetchone()
            if row and row[0] == key:
                out[i] = np.frombuffer(row[1], np.float32)
            else:
                missing.append((i, tag, key))
        if missing:
            prompts = [p for _, t, _ in missing for p in t.spec().effective_prompts()]
            vecs = self.embedder.encode_texts(prompts)
            start = 0
            with self.catalog.transaction():
                for i, tag, key in missing:
                    n = len(tag.spec().effective_prompts())
                    v = vecs[start : start + n].mean(0)
                    start += n
                    out[i] = v / np.linalg.norm(v)
                    self.catalog.conn.execute(
                        "INSERT OR REPLACE INTO tag_vectors(tag_id, model_id, prompts_key, vector)"
                        " VALUES (?, ?, ?, ?)",
                        (tag.id, self.model_id, key, out[i].tobytes()),
                    )
        return out

    def prior(self, tag: TagRow) -> heads.Head:
        return heads.prior(self.tag_vectors([tag])[0], self.reference(), self.embedder.logit_scale)

    def head(self, tag: TagRow) -> heads.Head:
        """The tag's trained head, if it was trained on its current prompts; else the prior."""
        row = self.catalog.conn.execute(
            "SELECT weights, bias, metrics FROM heads WHERE tag_id = ? AND model_id = ?",
            (tag.id, self.model_id),
        ).fetchone()
        key = _prompts_key(self.embedder.name, tag.spec().effective_prompts())
        if row and json.loads(row[2]).get("prompts_key") == key:
            return heads.Head(np.frombuffer(row[0], np.float32).copy(), float(row[1]))
        return self.prior(tag)

    def weights(self, tags: list[TagRow]) -> tuple[np.ndarray, np.ndarray]:
        hs = [self.head(t) for t in tags]
        w = np.stack([h.weights for h in hs]) if hs else np.zeros((0, self.embedder.dim))
        return w.astype(np.float32), np.array([h.bias for h in hs], np.float32)

    def probabilities(self, x: np.ndarray, tags: list[TagRow]) -> np.ndarray:
        w, b = self.weights(tags)
        return heads.sigmoid(x @ w.T + b)

    # -- suggestions --------------------------------------------------------------

    def _tags(self, tag_ids: list[int] | None) -> list[TagRow]:
        tags = self.store.all()
        return [t for t in tags if tag_ids is None or t.id in tag_ids]

    def rescore(
        self, photo_ids: list[int] | None = None, tag_ids: list[int] | None = None
    ) -> RescoreResult:
        """Bring model suggestions up to date for these photos x tags (default: all)."""
        result = RescoreResult()
        tags = self._tags(tag_ids)
        if not tags:
            return result
        ids, matrix = self.catalog.embedding_matrix(self.model_id)
        if photo_ids is not None:
            keep = np.isin(ids, np.asarray(photo_ids, np.int64))
            ids, matrix = ids[keep], matrix[keep]
        enabled = np.array([t.enabled for t in tags])
        cut = np.array([_logit(t.threshold) for t in tags], np.float32)
        tag_ids_arr = np.array([t.id for t in tags], np.int64)
        col = {t: i for i, t in enumerate(tag_ids_arr.tolist())}
        w, b = self.weights(tags)
        conn = self.catalog.conn
        now = time.time()
        with self.catalog.transaction():
            for start in range(0, len(ids), CHUNK):
                chunk_ids = ids[start : start + CHUNK]
                # Compare logits with the thresholds' logits: the sigmoid is only needed for
                # the few pairs that are stored.
                logits = matrix[start : start + CHUNK] @ w.T + b
                want = (logits >= cut) & enabled
                existing = self._existing(chunk_ids, tag_ids_arr)
                rows, cols = np.nonzero(want)
                scores = heads.sigmoid(logits[rows, cols]).tolist()
                wanted = set()
                for r, c, score in zip(rows.tolist(), cols.tolist(), scores, strict=True):
                    key = (int(chunk_ids[r]), int(tag_ids_arr[c]))
                    wanted.add(key)
                    old = existing.get(key)
                    if old is None:
                        conn.execute(
                            "INSERT INTO photo_tags(photo_id, tag_id, state, source, score, "
                            "updated_at) VALUES (?, ?, 'suggested', 'model', ?, ?)",
                            (*key, score, now),
                        )
                        result.added += 1
                    elif old[2] is None or abs(old[2] - score) > 1e-4:
                        conn.execute(
                            "UPDATE photo_tags SET score = ? WHERE photo_id = ? AND tag_id = ?",
                            (score, *key),
                        )
                        result.updated += 1
                stale = [
                    k
                    for k, v in existing.items()
                    if v[:2] == ("suggested", "model") and k not in wanted
                ]
                conn.executemany("DELETE FROM photo_tags WHERE photo_id = ? AND tag_id = ?", stale)
                result.removed += len(stale)
                # A user's decision keeps its state; its score is refreshed for display.
                row = {p: i for i, p in enumerate(chunk_ids.tolist())}
                conn.executemany(
                    "UPDATE photo_tags SET score = ? WHERE photo_id = ? AND tag_id = ?",
                    [
                        (float(heads.sigmoid(logits[row[p], col[t]])), p, t)
                        for (p, t), v in existing.items()
                        if v[1] != "model"
                    ],
                )
        return result

    def _existing(self, photo_ids: np.ndarray, tag_ids: np.ndarray) -> dict:
        if not len(photo_ids):
            return {}
        lo, hi = int(photo_ids.min()), int(photo_ids.max())
        pset, tset = set(photo_ids.tolist()), set(tag_ids.tolist())
        rows = self.catalog.conn.execute(
            "SELECT photo_id, tag_id, state, source, score FROM photo_tags "
            "WHERE photo_id BETWEEN ? AND ?",
            (lo, hi),
        )
        return {(p, t): (s, src, sc) for p, t, s, src, sc in rows if p in pset and t in tset}

    # -- learning from corrections ---------------------------------------------------

    def retrain(self, tag_ids: list[int] | None = None) -> list[dict]:
        """Retrain the heads of these tags (default: every tag with corrections)."""
        reports = []
        for tag in self._tags(tag_ids):
            pos, neg = labels(self.catalog, tag.id)
            if tag_ids is None and not (pos or neg):
                continue
            reports.append(self._train_one(tag, pos, neg))
        return reports

    def _train_one(self, tag: TagRow, pos: list[int], neg: list[int]) -> dict:
        conn = self.catalog.conn
        key = _prompts_key(self.embedder.name, tag.spec().effective_prompts())
        start = self.prior(tag)
        ids = pos + neg
        vecs = [self.catalog.embedding(i, self.model_id) for i in ids]
        have = [i for i, v in enumerate(vecs) if v is not None]
        x = np.stack([vecs[i] for i in have]) if have else np.zeros((0, self.embedder.dim))
        y = np.array([1.0 if i < len(pos) else 0.0 for i in have])
        metrics = {"prompts_key": key, "n_pos": int(y.sum()), "n_neg": int(len(y) - y.sum())}
        if not len(y):
            conn.execute(
                "DELETE FROM heads WHERE tag_id = ? AND model_id = ?", (tag.id, self.model_id)
            )
            return {"tag": tag.path, **metrics, "precision": None, "recall": None}
        trained = heads.train(x, y, start)
        metrics.update(heads.cross_validate(x, y, start, tag.threshold))
        conn.execute(
            "INSERT OR REPLACE INTO heads(tag_id, model_id, weights, bias, trained_at, n_pos, "
            "n_neg, metrics) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                tag.id,
                self.model_id,
                trained.weights.astype(np.float32).tobytes(),
                trained.bias,
                time.time(),
                metrics["n_pos"],
                metrics["n_neg"],
                json.dumps(metrics),
            ),
        )
        return {"tag": tag.path, **{k: v for k, v in metrics.items() if k != "prompts_key"}}

    def report(self) -> list[dict]:
        """Per tag: corrections so far, and held-out precision and recall of its head."""
        out = []
        for tag in self.store.all():
            pos, neg = labels(self.catalog, tag.id)
            row = self.catalog.conn.execute(
                "SELECT metrics FROM heads WHERE tag_id = ? AND model_id = ?",
                (tag.id, self.model_id),
            ).fetchone()
            m = json.loads(row[0]) if row else {}
            out.append(
                {
                    "tag": tag.path,
                    "confirmed": len(pos),
                    "rejected": len(neg),
                    "precision": m.get("precision"),
                    "recall": m.get("recall"),
                }
            )
        return out

    # -- the review queue ------------------------------------------------------------------

    def review(self, tag_id: int | None = None, limit: int = 20) -> list[ReviewItem]:
        """Undecided photo-tag pairs the model is least sure about (closest to the threshold)."""
        tags = [t for t in self._tags([tag_id] if tag_id else None) if t.enabled]
        ids, matrix = self.catalog.embedding_matrix(self.model_id)
        if not tags or not len(ids):
            return []
        probs = self.probabilities(matrix, tags)
        cuts = np.array([_logit(t.threshold) for t in tags])
        margin = np.abs(np.log(probs / np.maximum(1 - probs, 1e-12) + 1e-12) - cuts)
        decided = self.catalog.conn.execute(
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
            row = self.catalog.photo(int(ids[r]))
            p = float(probs[r, c])
            tag = tags[c]
            out.append(ReviewItem(int(ids[r]), row.path, tag.id, tag.path, p, p >= tag.threshold))
        return out
