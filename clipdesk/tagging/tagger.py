"""Scoring photos against the vocabulary, keeping suggestions fresh, and retraining heads.

Scores are probabilities: ``sigmoid(x . w + b)`` per tag, where (w, b) is the tag's
learned head if it has one, else the zero-shot prior. Re-scoring only ever adds,
updates or removes rows in state ``suggested`` from source ``model``; a user's
decision (and an imported keyword) is never touched.

The model is loaded only when the catalog lacks what is needed: the model's id and dim
(``models``), its logit scale and reference vector (``meta``) and each tag's vector for
its current prompts (``tag_vectors``) are remembered from when it was last loaded. Where
the loader refuses (:class:`~clipdesk.errors.ModelNeeded`), the work that needs it is
left for a run that may load it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable

import numpy as np

from clipdesk.catalog import Catalog
from clipdesk.embedding import Embedder
from clipdesk.progress import Cancel
from clipdesk.tagging import calibration
from clipdesk.tagging import head as heads
from clipdesk.tagging.calibration import Evidence
from clipdesk.tagging.corrections import labels
from clipdesk.tagging.evidence import EvidenceKeeper, Stopped
from clipdesk.tagging.store import TagRow, TagStore
from clipdesk.tagging.suggestion_rows import (
    RescoreResult,
    rows_of_photos,
    rows_of_tags,
    store,
    strongest,
)

# "Tag vs a generic photo": the zero-shot prior asks whether a photo is closer to the
# tag's prompts than to these, scaled by the model's own logit scale.
REFERENCE_PROMPTS = ("a photo.", "a picture.", "an image.", "a photo of something.")
CHUNK = 8192
# Prompts per call of the text encoder: on the CPU path as fast per prompt as far larger
# batches, and a few hundred MB at most for the largest text towers.
TEXT_BATCH = 256
FILL_TAGS = 4096  # tags whose vectors and evidence fill_cache holds at a time
FEW_TAGS = 16  # re-scoring at most this many tags reads their rows by the tag index


def _prompts_key(model: str, prompts: list[str]) -> str:
    return hashlib.sha1(json.dumps([model, prompts]).encode()).hexdigest()


def logit(p: float) -> float:
    """A probability as log-odds (a threshold compared with a head's logits)."""
    return float(np.log(p / (1 - p)))


class Tagger:
    """Scores, suggestions and heads for one model. ``embedder`` is a loaded Embedder, or a
    function that loads it (called only when the catalog lacks a vector or a fact; it may
    raise ModelNeeded) together with the model's canonical ``model_name``."""

    def __init__(
        self,
        catalog: Catalog,
        embedder: Embedder | Callable[[], Embedder],
        model_name: str | None = None,
    ):
        self.catalog = catalog
        self.store = TagStore(catalog)
        if isinstance(embedder, Embedder):
            self._embedder: Embedder | None = embedder
            self._load: Callable[[], Embedder] | None = None
            self.model_name = embedder.name
        else:
            if model_name is None:
                raise TypeError("a model loader needs the model's name")
            self._embedder, self._load, self.model_name = None, embedder, model_name
        known = catalog.find_model(self.model_name)
        self._model_id, self._dim = known if known else (None, None)
        if self._embedder is not None:
            _ = self.model_id
        self._reference: np.ndarray | None = None
        self._logit_scale: float | None = None
        self.evidence = EvidenceKeeper(self)

    # -- the model, only when needed ------------------------------------------------

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            assert self._load is not None
            self._embedder = self._load()
        return self._embedder

    @property
    def known_model_id(self) -> int | None:
        """The model's id in the catalog, None while no photo was embedded with it (asked
        again each time until then: the indexer may register it meanwhile)."""
        if self._model_id is None:
            known = self.catalog.find_model(self.model_name)
            if known:
                self._model_id, self._dim = known
        return self._model_id

    @property
    def model_id(self) -> int:
        if self.known_model_id is None:
            e = self.embedder
            self._model_id, self._dim = self.catalog.model_id(e.name, e.dim), e.dim
        return self._model_id

    @property
    def dim(self) -> int:
        _ = self.model_id
        assert self._dim is not None
        return self._dim

    def _facts(self) -> None:
        """The logit scale and the reference vector: from the catalog, else from the model
        (then remembered there for the runs that do not load it)."""
        if self._reference is not None:
            return
        facts = self.catalog.model_facts(self.model_name)
        if facts is None or len(facts["reference"]) != self.dim:
            e = self.embedder
            v = e.encode_texts(list(REFERENCE_PROMPTS)).mean(0)
            v = v / np.linalg.norm(v)
            facts = {"logit_scale": float(e.logit_scale), "reference": v.tolist()}
            self.catalog.set_model_facts(self.model_name, facts)
        self._reference = np.asarray(facts["reference"], np.float32)
        self._logit_scale = float(facts["logit_scale"])

    @property
    def logit_scale(self) -> float:
        self._facts()
        assert self._logit_scale is not None
        return self._logit_scale

    def cached(self, tags: list[TagRow]) -> list[TagRow]:
        """Those of ``tags`` that can be scored without the model: their vectors for their
        current prompts and the model's facts are in the catalog."""
        if self._embedder is not None:
            return tags
        if self.known_model_id is None or self.catalog.model_facts(self.model_name) is None:
            return []
        return self.evidence.has_cached([t for t in tags if self._cached_vector(t) is not None])

    def fill_cache(self, cancel: Cancel | None = None) -> bool:
        """Put every tag's vector and the model's facts in the catalog where some are
        missing (new tags, or a catalog from before they were kept there), so that the
        commands that never load the model can score; whether the model was needed for it.
        The tags go a few thousand at a time, their prompts a batch at a time, each batch
        stored in a short transaction of its own; ``cancel`` set: it stops after the batch
        (what it stored is kept, the next call goes on)."""
        if self.known_model_id is None:
            return False
        tags = self.store.concepts()
        if len(self.cached(tags)) == len(tags):
            return False
        try:
            for start in range(0, len(tags), FILL_TAGS):
                some = tags[start : start + FILL_TAGS]
                self.tag_vectors(some, cancel)
                self.evidence.text(some, cancel)
        except Stopped:
            return True
        self.reference()
        self.evidence.nulls()
        return True

    def prompts_key(self, tag: TagRow) -> str:
        """Names the tag's current prompts for this model (what its cached facts are for)."""
        return _prompts_key(self.model_name, tag.spec().effective_prompts())

    def _cached_vector(self, tag: TagRow) -> np.ndarray | None:
        key = self.prompts_key(tag)
        row = self.catalog.conn.execute(
            "SELECT prompts_key, vector FROM tag_vectors WHERE tag_id = ? AND model_id = ?",
            (tag.id, self.model_id),
        ).fetchone()
        return np.frombuffer(row[1], np.float32) if row and row[0] == key else None

    # -- vectors and heads ------------------------------------------------------

    def reference(self) -> np.ndarray:
        self._facts()
        assert self._reference is not None
        return self._reference

    def encode_texts(self, texts: list[str], cancel: Cancel | None = None) -> np.ndarray:
        """The model's vectors of ``texts``, TEXT_BATCH at a time (bounded memory, however
        many); raises Stopped before a batch once ``cancel`` is set."""
        out = np.zeros((len(texts), self.dim), np.float32)
        for start in range(0, len(texts), TEXT_BATCH):
            if cancel is not None and cancel.is_set():
                raise Stopped
            out[start : start + TEXT_BATCH] = self.embedder.encode_texts(
                texts[start : start + TEXT_BATCH]
            )
        return out

    def tag_vectors(self, tags: list[TagRow], cancel: Cancel | None = None) -> np.ndarray:
        """Mean of each tag's normalised prompt embeddings, cached until its prompts change.
        Those not cached are encoded about TEXT_BATCH prompts at a time, each batch stored
        in its own short transaction; ``cancel`` set: Stopped, after the batch."""
        out = np.zeros((len(tags), self.dim), np.float32)
        missing = []
        for i, tag in enumerate(tags):
            vector = self._cached_vector(tag)
            if vector is not None:
                out[i] = vector
            else:
                missing.append((i, tag, self.prompts_key(tag), tag.spec().effective_prompts()))
        batch: list[tuple[int, TagRow, str, list[str]]] = []
        size = 0
        for item in missing:
            if batch and size + len(item[3]) > TEXT_BATCH:
                self._store_vectors(batch, out, cancel)
                batch, size = [], 0
            batch.append(item)
            size += len(item[3])
        if batch:
            self._store_vectors(batch, out, cancel)
        return out

    def _store_vectors(
        self,
        batch: list[tuple[int, TagRow, str, list[str]]],
        out: np.ndarray,
        cancel: Cancel | None,
    ) -> None:
        """Encode one batch of tags' prompts and store their vectors (one transaction)."""
        vecs = self.encode_texts([p for *_, prompts in batch for p in prompts], cancel)
        start = 0
        with self.catalog.transaction():
            for i, tag, key, prompts in batch:
                v = vecs[start : start + len(prompts)].mean(0)
                start += len(prompts)
                out[i] = v / np.linalg.norm(v)
                self.catalog.conn.execute(
                    "INSERT OR REPLACE INTO tag_vectors(tag_id, model_id, prompts_key, vector)"
                    " VALUES (?, ?, ?, ?)",
                    (tag.id, self.model_id, key, out[i].tobytes()),
                )

    def prior(self, tag: TagRow) -> heads.Head:
        return heads.prior(self.tag_vectors([tag])[0], self.reference(), self.logit_scale)

    def head(self, tag: TagRow) -> heads.Head:
        """The tag's trained head, if it was trained on its current prompts; else the prior."""
        row = self.catalog.conn.execute(
            "SELECT weights, bias, metrics FROM heads WHERE tag_id = ? AND model_id = ?",
            (tag.id, self.model_id),
        ).fetchone()
        key = self.prompts_key(tag)
        if row and json.loads(row[2]).get("prompts_key") == key:
            return heads.Head(np.frombuffer(row[0], np.float32).copy(), float(row[1]))
        return self.prior(tag)

    def weights(self, tags: list[TagRow]) -> tuple[np.ndarray, np.ndarray]:
        hs = [self.head(t) for t in tags]
        w = np.stack([h.weights for h in hs]) if hs else np.zeros((0, self.dim))
        return w.astype(np.float32), np.array([h.bias for h in hs], np.float32)

    def probabilities(self, x: np.ndarray, tags: list[TagRow]) -> np.ndarray:
        w, b = self.weights(tags)
        return heads.sigmoid(x @ w.T + b)

    def taught(self, tags: list[TagRow]) -> set[int]:
        """Tags whose head was trained on their current prompts with at least one confirmed
        and one rejected photo: the user's corrections are their evidence."""
        keys = {t.id: self.prompts_key(t) for t in tags}
        rows = self.catalog.conn.execute(
            "SELECT tag_id, metrics FROM heads WHERE model_id = ? AND n_pos > 0 AND n_neg > 0",
            (self.model_id,),
        )
        return {
            tag_id
            for tag_id, metrics in rows
            if tag_id in keys and json.loads(metrics).get("prompts_key") == keys[tag_id]
        }

    def suggestable(
        self, tags: list[TagRow], matrix: np.ndarray | None = None
    ) -> tuple[np.ndarray, dict[int, Evidence]]:
        """Per tag, whether the model may suggest it (the user taught it, or the evidence
        says the model sees it: calibration.py), and the evidence."""
        evidence = self.evidence.judge(tags, matrix)
        taught = self.taught(tags)
        return np.array([t.id in taught or evidence[t.id].seen for t in tags], bool), evidence

    # -- suggestions --------------------------------------------------------------

    def tags_for(self, tag_ids: list[int] | None) -> list[TagRow]:
        """These tags (None: all), as the catalog has them now."""
        tags = self.store.concepts()
        if tag_ids is None:
            return tags
        wanted = set(tag_ids)
        return [t for t in tags if t.id in wanted]

    def vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """(photo ids, rows) of every indexed photo's embedding with this model: through
        the search-ready vector file beside the catalog (memory-mapped, shared with search,
        appended when new photos came), not a fresh read of every row from SQLite."""
        from clipdesk.catalog.vectors import load_vectors

        v = load_vectors(self.catalog, self.model_id)
        return v.ids, v.matrix

    def rescore(
        self, photo_ids: list[int] | None = None, tag_ids: list[int] | None = None
    ) -> RescoreResult:
        """Bring model suggestions up to date for these photos x tags (default: all)."""
        result = RescoreResult()
        tags = self.tags_for(tag_ids)
        if not tags or self.known_model_id is None:  # nothing is embedded with this model
            return result
        ids, matrix = self.vectors()
        seen, _ = self.suggestable(tags, matrix)
        small = len(ids) < calibration.MIN_PHOTOS
        if photo_ids is not None:
            keep = np.isin(ids, np.asarray(photo_ids, np.int64))
            ids, matrix = ids[keep], matrix[keep]
        enabled = np.array([t.enabled for t in tags]) & seen
        cut = np.array([logit(t.threshold) for t in tags], np.float32)
        tag_ids_arr = np.array([t.id for t in tags], np.int64)
        w, b = self.weights(tags)
        # A few tags over the whole library (a correction learned): their rows, by the tag
        # index; else the rows of each chunk's photos.
        by_tag = tag_ids is not None and photo_ids is None and len(tags) <= FEW_TAGS
        of_tags = rows_of_tags(self.catalog, tag_ids_arr) if by_tag else {}
        with self.catalog.transaction():
            for start in range(0, len(ids), CHUNK):
                chunk_ids = ids[start : start + CHUNK]
                # Compare logits with the thresholds' logits: the sigmoid is only needed for
                # the few pairs that are stored.
                logits = np.asarray(matrix[start : start + CHUNK], np.float32) @ w.T + b
                want = (logits >= cut) & enabled
                if small:  # no typical photo to stand out from: only each photo's strongest
                    want &= strongest(logits - cut, want, calibration.SMALL_LIBRARY_CAP)
                if by_tag:
                    here = {(p, t): v for p in chunk_ids.tolist() for t, v in of_tags.get(p, ())}
                else:
                    here = rows_of_photos(self.catalog, chunk_ids, tag_ids_arr)
                store(self.catalog, chunk_ids, tag_ids_arr, logits, want, here, result)
        return result

    # -- learning from corrections ---------------------------------------------------

    def retrain(self, tag_ids: list[int] | None = None) -> list[dict]:
        """Retrain the heads of these tags (default: every tag with corrections)."""
        todo = []
        for tag in self.tags_for(tag_ids):
            pos, neg = labels(self.catalog, tag.id)
            if tag_ids is None and not (pos or neg):
                continue
            todo.append((tag, pos, neg))
        evidence = self.evidence.judge([t for t, _, _ in todo])
        trained = [self._train_one(t, pos, neg, evidence[t.id].seen) for t, pos, neg in todo]
        with self.catalog.transaction() as conn:  # the heads, all or none
            for tag, row, _ in trained:
                if row is None:
                    conn.execute(
                        "DELETE FROM heads WHERE tag_id = ? AND model_id = ?",
                        (tag.id, self.model_id),
                    )
                else:
                    conn.execute(
                        "INSERT OR REPLACE INTO heads(tag_id, model_id, weights, bias, "
                        "trained_at, n_pos, n_neg, metrics) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        row,
                    )
        return [report for _, _, report in trained]

    def _train_one(
        self, tag: TagRow, pos: list[int], neg: list[int], seen: bool
    ) -> tuple[TagRow, tuple | None, dict]:
        """Train one head; ``seen``: whether zero-shot suggests the tag at all (calibration),
        which is what the head must beat. (tag, its heads row or None for no head, report)"""
        key = self.prompts_key(tag)
        start = self.prior(tag)
        ids = pos + neg
        vecs = [self.catalog.embedding(i, self.model_id) for i in ids]
        have = [i for i, v in enumerate(vecs) if v is not None]
        x = np.stack([vecs[i] for i in have]) if have else np.zeros((0, self.dim))
        y = np.array([1.0 if i < len(pos) else 0.0 for i in have])
        metrics = {"prompts_key": key, "n_pos": int(y.sum()), "n_neg": int(len(y) - y.sum())}
        if not len(y):
            return tag, None, {"tag": tag.path, **metrics, "precision": None, "recall": None}
        trained = heads.train(x, y, start)
        metrics.update(heads.cross_validate(x, y, start, tag.threshold))
        if not seen and metrics.get("prior_f1") is not None:
            metrics["prior_f1"] = 0.0  # zero-shot suggests it nowhere
        if metrics.get("f1") is not None and metrics["f1"] < metrics["prior_f1"]:
            # Never worse than zero-shot on the user's own held-out corrections.
            trained, metrics["kept_prior"] = start, True
        row = (
            tag.id,
            self.model_id,
            trained.weights.astype(np.float32).tobytes(),
            trained.bias,
            time.time(),
            metrics["n_pos"],
            metrics["n_neg"],
            json.dumps(metrics),
        )
        return (
            tag,
            row,
            {"tag": tag.path, **{k: v for k, v in metrics.items() if k != "prompts_key"}},
        )

    def report(self) -> list[dict]:
        """Per tag: corrections so far, and held-out precision and recall of its head."""
        out = []
        for tag in self.store.concepts():
            pos, neg = labels(self.catalog, tag.id)
            row = self.catalog.conn.execute(
                "SELECT metrics FROM heads WHERE tag_id = ? AND model_id = ?",
                (tag.id, self.known_model_id),
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
