"""Re-clustering faces at scale (issue 27: a re-cluster of 100k faces takes at most 10 s).

Synthetic face vectors (128-d, the engine's size): ``--people`` identities, each a random
unit centre, and faces around it with noise chosen so that two faces of one person have a
cosine of about 0.8 (the engine gives the same person across photos a median of 0.86 on
dlib's examples/johns; clipdesk/testing/faces.py) and faces of different people about 0.
They go into a real SQLite catalog (one photo per face), then
``clipdesk.people.grouping.recluster`` runs on it, as `clipdesk people recluster` does,
timed with the reads and writes. Also: one incremental placement of a 64-face chunk into
the clustered library (what the face step does per chunk of photos), and the clusters'
quality (purity: the share of faces whose cluster's majority is their own person;
splits: clusters per person).

    .venv/bin/python benchmarks/faces_cluster.py [--faces 100000] [--people 1000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from clipdesk.catalog import Catalog
from clipdesk.people import faces_db, grouping
from clipdesk.testing.faces import fill, synthetic


def quality(cat: Catalog, who: np.ndarray) -> tuple[float, float, int]:
    rows = cat.conn.execute("SELECT id, person_id FROM faces").fetchall()
    by_cluster: dict[int, list[int]] = {}
    for fid, pid in rows:
        by_cluster.setdefault(pid, []).append(int(who[fid - 1]))
    pure = sum(Counter(m).most_common(1)[0][1] for m in by_cluster.values())
    per_person: dict[int, set[int]] = {}
    for pid, members in by_cluster.items():
        for person in set(members):
            per_person.setdefault(person, set()).add(pid)
    splits = np.mean([len(c) for c in per_person.values()])
    return pure / len(rows), float(splits), len(by_cluster)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--faces", type=int, default=100_000)
    ap.add_argument("--people", type=int, default=1000)
    ap.add_argument("--noise", type=float, default=0.5)
    args = ap.parse_args()
    who, vectors = synthetic(args.faces, args.people, args.noise)
    same = [float(vectors[i] @ vectors[j]) for i in range(200) for j in range(i + 1, 200)
            if who[i] == who[j]]  # fmt: skip
    print(f"synthetic: {args.faces:,} faces of {args.people:,} people; same-person cosine "
          f"median {np.median(same) if same else float('nan'):.2f}", flush=True)  # fmt: skip
    with tempfile.TemporaryDirectory() as d:
        cat = Catalog(Path(d) / "catalog.sqlite3")
        fill(cat, vectors[:-64])
        t = time.perf_counter()
        with cat.transaction():
            placed = grouping.recluster(cat)
        whole = time.perf_counter() - t
        purity, splits, clusters = quality(cat, who)
        print(f"re-cluster of {placed:,} faces: {whole:.2f} s ({clusters:,} clusters; purity "
              f"{purity:.3f}, {splits:.2f} clusters per person)")  # fmt: skip
        now = time.time()
        with cat.transaction():
            start = args.faces - 64
            cat.conn.executemany(
                "INSERT INTO photos(id, folder_id, path, size, mtime_ns, hash, status, "
                "updated_at) VALUES (?, 1, ?, 1, 1, ?, 'indexed', ?)",
                [(start + i + 1, f"/synthetic/n{i}.jpg", f"n{i}", now) for i in range(64)],
            )
            ids = [
                faces_db.add_face(cat, start + i + 1, (0.1, 0.1, 0.2, 0.2), v, "detector")
                for i, v in enumerate(vectors[-64:])
            ]
        t = time.perf_counter()
        with cat.transaction():
            grouping.regroup(cat, ids)
        chunk = time.perf_counter() - t
        print(f"one chunk of 64 new faces placed into the clustered library: {chunk * 1000:.0f} ms")
        cat.close()


if __name__ == "__main__":
    main()
