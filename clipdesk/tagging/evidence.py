"""Each tag's evidence (``calibration.py``) for one model, kept in the catalog.

The prompts' evidence needs the model (its twins are encoded once per prompt set and
remembered per model); the library's needs only the stored vectors and the nonsense
bank's vectors (remembered too), so the commands that never load the model can judge a
tag whose prompts were judged before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from clipdesk.progress import Cancel
from clipdesk.tagging import calibration
from clipdesk.tagging.calibration import Evidence, LibraryCheck
from clipdesk.tagging.store import TagRow
from clipdesk.tagging.vocabulary import TEMPLATES

if TYPE_CHECKING:
    from clipdesk.tagging.tagger import Tagger

NULLS, TEXT, LIBRARY = "tag_nulls", "tag_text_evidence", "tag_library_evidence"
TWIN_TAGS = 64  # tags whose twins are encoded together: a few thousand prompts at most


class Stopped(Exception):
    """The prompts' encoding was stopped (a cancel token set); what was done is stored."""


class EvidenceKeeper:
    """Evidence for the tags of one Tagger (its catalog, model and vectors)."""

    def __init__(self, tagger: Tagger):
        self.tagger = tagger
        self.catalog = tagger.catalog
        self.model = tagger.model_name

    def _note(self, kind: str) -> dict:
        return self.catalog.model_note(kind, self.model) or {}

    # -- what the model is needed for ------------------------------------------------

    def has_cached(self, tags: list[TagRow]) -> list[TagRow]:
        """Those of ``tags`` whose prompts' evidence is in the catalog (with the bank)."""
        if not self._note(NULLS):
            return []
        text = self._note(TEXT)
        return [t for t in tags if self.tagger.prompts_key(t) in text]

    def nulls(self) -> np.ndarray:
        """The nonsense bank's vectors (encoded once per model)."""
        note = self._note(NULLS)
        dim = self.tagger.dim
        if not note or len(note["vectors"][0]) != dim:
            bank = calibration.null_prompts(TEMPLATES)
            flat = [p for prompts in bank for p in prompts]
            v = self.tagger.embedder.encode_texts(flat).reshape(len(bank), len(TEMPLATES), -1)
            note = {
                "vectors": calibration.unit(calibration.unit(v).mean(1)).astype(np.float32).tolist()
            }
            with self.catalog.transaction():
                self.catalog.set_model_note(NULLS, self.model, note)
        return np.asarray(note["vectors"], np.float32)

    def text(self, tags: list[TagRow], cancel: Cancel | None = None) -> dict[int, float]:
        """Each tag's prompts' evidence; the model encodes the twins of those not known,
        TWIN_TAGS tags at a time (bounded memory, however many). ``cancel`` set: Stopped,
        once the evidence found so far is stored."""
        known = self._note(TEXT)
        keys = {t.id: self.tagger.prompts_key(t) for t in tags}
        missing = [t for t in tags if keys[t.id] not in known]
        found = 0
        try:
            for start in range(0, len(missing), TWIN_TAGS):
                some = missing[start : start + TWIN_TAGS]
                vectors = self.tagger.tag_vectors(some, cancel)
                twins = {
                    t.id: [
                        calibration.twin_prompts(t.spec().effective_prompts(), k)
                        for k in range(calibration.TWINS)
                    ]
                    for t in some
                }
                unique = sorted({p for sets in twins.values() for s in sets for p in s})
                encoded = dict(zip(unique, self.tagger.encode_texts(unique, cancel), strict=True))
                for t, vector in zip(some, vectors, strict=True):
                    twin_vectors = np.stack(
                        [np.mean([encoded[p] for p in s], 0) for s in twins[t.id]]
                    )
                    known[keys[t.id]] = round(calibration.text_evidence(vector, twin_vectors), 3)
                found += len(some)
        finally:
            if found:
                with self.catalog.transaction():
                    self.catalog.set_model_note(TEXT, self.model, known)
        return {t.id: float(known[keys[t.id]]) for t in tags}

    # -- the verdicts -------------------------------------------------------------

    def judge(self, tags: list[TagRow], matrix: np.ndarray | None = None) -> dict[int, Evidence]:
        """Each tag's evidence on the library as it is (``matrix``: its vectors, when the
        caller has them). Verdicts stand until the library changes by REGROW (module
        docstring of calibration.py) or the tag's prompts change."""
        if not tags:
            return {}
        text = self.text(tags)
        if matrix is None:
            matrix = self.tagger.vectors()[1]
        n = len(matrix)
        stored = self._note(LIBRARY)
        out: dict[int, Evidence] = {}
        todo = []
        for t in tags:
            old = stored.get(str(t.id))
            kept = None
            if (
                old
                and old.get("key") == self.tagger.prompts_key(t)
                and calibration.same_library(old.get("photos", -1), n)
            ):
                kept = Evidence.from_json({**old, "text": text[t.id]})
            if kept is not None:
                out[t.id] = kept
            else:
                todo.append(t)
        if not todo:
            return out
        if n < calibration.MIN_PHOTOS:
            judged = {t.id: Evidence(text[t.id], n) for t in todo}
        else:
            sample = np.asarray(matrix[calibration.sample_rows(n)], np.float32)
            check = LibraryCheck.measure(sample, self.nulls(), n)
            scores = sample @ self.tagger.tag_vectors(todo).T
            judged = {
                t.id: Evidence.measure(text[t.id], scores[:, j], check) for j, t in enumerate(todo)
            }
        for t in todo:
            stored[str(t.id)] = {**judged[t.id].to_json(), "key": self.tagger.prompts_key(t)}
        with self.catalog.transaction():
            self.catalog.set_model_note(LIBRARY, self.model, stored)
        out.update(judged)
        return out
