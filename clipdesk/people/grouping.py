"""Where a face goes: to a named person (suggested), to an unnamed cluster, or a cluster of
its own; and the whole re-cluster.

A named person's model is its confirmed faces (prototypes) against the faces rejected for
it: a face is suggested for the person whose confirmed faces it is most like, at least
``SUGGEST`` (cosine), and more like them than like any face rejected for that person. A
face is never placed with a person it was rejected for. A face no named person claims
joins the unnamed cluster whose mean it is nearest, at least ``CLUSTER``; else it starts a
cluster. Confirmed faces never move.

The re-cluster is leader clustering over cluster means, a chunk of faces at a time: each
chunk is one matrix product against the means so far (and one within the chunk for the
faces that start clusters), so its cost follows faces x clusters, not faces squared
(``benchmarks/faces_cluster.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from clipdesk.catalog import Catalog
from clipdesk.people import faces_db

SUGGEST = 0.56  # cosine to a person's confirmed face (the engine's same-person line is 0.53)
CLUSTER = 0.62  # cosine to an unnamed cluster's mean: stricter, clusters are never checked
# Both sit where SFace's 0.40 and 0.50 sat between the same person's lowest and two people's
# highest cosine on dlib's examples/johns (a third and seven tenths of the way up; faces.md).
CHUNK = 2048


@dataclass
class Means:
    """Running sums of unnamed clusters' vectors (rows), for leader clustering."""

    ids: list[int] = field(default_factory=list)
    sums: list[np.ndarray] = field(default_factory=list)
    _matrix: np.ndarray | None = None

    def matrix(self) -> np.ndarray:
        if self._matrix is None:
            if not self.sums:
                return np.zeros((0, 0), np.float32)
            m = np.stack(self.sums)
            self._matrix = m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-9)
        return self._matrix

    def add(self, index: int | None, person: int, vector: np.ndarray) -> int:
        self._matrix = None
        if index is None:
            self.ids.append(person)
            self.sums.append(vector.astype(np.float32).copy())
            return len(self.ids) - 1
        self.sums[index] += vector
        return index


def _named_model(ids, people, states, matrix, named: set[int]):
    """Rows of confirmed faces of named people: (their person ids, their vectors)."""
    keep = np.isin(people, list(named)) & (states == "confirmed")
    return people[keep], matrix[keep]


def _best_named(vectors, proto_people, protos, rejected_for, face_ids, rejects_of):
    """Per face: (person, similarity) of the named person it is most like, or (-1, 0)."""
    n = len(vectors)
    best_p = np.full(n, -1, np.int64)
    best_s = np.zeros(n, np.float32)
    if not len(protos) or not n:
        return best_p, best_s
    sims = vectors @ protos.T
    row_of = {int(f): i for i, f in enumerate(face_ids)}
    for person in np.unique(proto_people):
        person = int(person)
        s = sims[:, proto_people == person].max(axis=1)
        neg = rejected_for.get(person)
        if neg is not None and len(neg):
            s = np.where(s > (vectors @ neg.T).max(axis=1), s, 0.0)
        for f, refused in rejects_of.items():
            if person in refused and f in row_of:
                s[row_of[f]] = 0.0
        better = (s >= SUGGEST) & (s > best_s)
        best_p[better], best_s[better] = person, s[better]
    return best_p, best_s


def _rejected_vectors(catalog: Catalog, named: set[int]) -> dict[int, np.ndarray]:
    out: dict[int, np.ndarray] = {}
    for person in named:
        _, _, _, m = faces_db.vectors(
            catalog,
            "id IN (SELECT face_id FROM face_rejections WHERE person_id = ?)",
            (person,),
        )
        if len(m):
            out[person] = m
    return out


def regroup(catalog: Catalog, face_ids: list[int] | None = None) -> list[int]:
    """Place these faces (default: every face not confirmed): suggested for the named person
    they are most like, else left in the unnamed cluster they are in (cluster ids stay), else
    into the nearest cluster or one of their own. Call inside a transaction. The faces whose
    place changed."""
    ids, people, states, matrix = faces_db.vectors(catalog)
    if not len(ids):
        return []
    named = set(faces_db.named_people(catalog))
    named_arr = np.asarray(sorted(named), np.int64)
    rejects_of = faces_db.rejections(catalog)
    proto_people, protos = _named_model(ids, people, states, matrix, named)
    rejected_for = _rejected_vectors(catalog, named)
    movable = states != "confirmed"
    if face_ids is not None:
        movable &= np.isin(ids, np.asarray(face_ids, np.int64))
    rows = np.nonzero(movable)[0]
    out: list[tuple[int, int | None, str, float | None]] = []
    keep = np.zeros(len(ids), bool)
    lost: list[int] = []  # rows to cluster
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        best_p, best_s = _best_named(
            matrix[chunk], proto_people, protos, rejected_for, ids[chunk], rejects_of
        )
        for k, row in enumerate(chunk):
            fid, cur, state = int(ids[row]), int(people[row]), states[row]
            if best_p[k] >= 0:
                out.append((fid, int(best_p[k]), "suggested", float(best_s[k])))
            elif (
                state == "clustered"
                and cur >= 0
                and cur not in named
                and cur not in rejects_of.get(fid, ())
            ):
                keep[row] = True  # stays in its cluster
            else:
                lost.append(int(row))
    # Unnamed clusters' means, from the faces that stay in them.
    in_unnamed = (people >= 0) & ~np.isin(people, named_arr) & (states == "clustered")
    means = Means()
    index_of: dict[int, int] = {}
    for row in np.nonzero(in_unnamed & (~movable | keep))[0]:
        p = int(people[row])
        index_of[p] = means.add(index_of.get(p), p, matrix[row])
    todo = np.asarray(lost, np.int64)
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start : start + CHUNK]
        vecs, fids = matrix[chunk], ids[chunk]
        # The chunk against the clusters' means as they were when it began: one product.
        m = means.matrix()
        if len(m):
            sims = vecs @ m.T
            for i, f in enumerate(fids.tolist()):  # never back into a cluster it left
                for p in rejects_of.get(f, ()):
                    if p in index_of:
                        sims[i, index_of[p]] = -1.0
            near = sims.argmax(axis=1)
            near_s = sims[np.arange(len(chunk)), near]
        else:
            near = np.zeros(len(chunk), np.int64)
            near_s = np.full(len(chunk), -1.0, np.float32)
        alone = []
        for i in range(len(chunk)):
            if near_s[i] >= CLUSTER:
                j = int(near[i])
                means.add(j, means.ids[j], vecs[i])
                out.append((int(fids[i]), means.ids[j], "clustered", float(near_s[i])))
            else:
                alone.append(i)
        # Faces like no cluster: leaders among themselves (one product within the chunk).
        if alone:
            a = np.asarray(alone)
            within = vecs[a] @ vecs[a].T
            leader = np.full(len(a), -1)
            for k in range(len(a)):
                if leader[k] >= 0:
                    continue
                person = faces_db.new_person(catalog)  # new: no face was rejected for it
                index_of[person] = means.add(None, person, vecs[a[k]])
                out.append((int(fids[a[k]]), person, "clustered", None))
                leader[k] = k
                for q in np.nonzero((within[k] >= CLUSTER) & (leader < 0))[0]:
                    leader[q] = k
                    means.add(index_of[person], person, vecs[a[q]])
                    out.append((int(fids[a[q]]), person, "clustered", float(within[k, q])))
    faces_db.place_many(catalog, out)
    faces_db.drop_empty_people(catalog)
    return [f for f, *_ in out]


def recluster(catalog: Catalog) -> int:
    """Every face that is not confirmed placed anew (unnamed clusters made again). Call inside
    a transaction. How many faces were placed."""
    catalog.conn.execute(
        "UPDATE faces SET person_id = NULL, state = 'clustered', similarity = NULL "
        "WHERE state != 'confirmed'"
    )
    faces_db.drop_empty_people(catalog)
    return len(regroup(catalog))
