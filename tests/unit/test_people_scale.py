"""Grouping at 100,000 faces (issue 27): synthetic 128-d face vectors of 1,000 people, in a
real catalog, re-clustered as `clipdesk people recluster` does; every cluster holds one
person's faces. The time budget (10 s) is benchmarks/faces_cluster.py's: tests never time."""

from __future__ import annotations

from collections import Counter

import pytest

from clipdesk.catalog import Catalog
from clipdesk.people import faces_db, grouping
from clipdesk.testing.faces import fill, synthetic


@pytest.mark.slow
def test_a_hundred_thousand_faces_cluster_by_person(tmp_path):
    who, vectors = synthetic(100_000, 1000, noise=0.5)
    with Catalog(tmp_path / "catalog.sqlite3") as cat:
        ids = fill(cat, vectors)
        with cat.transaction():
            assert grouping.recluster(cat) == 100_000
        rows = faces_db.faces(cat, ids)
    members: dict[int, list[int]] = {}
    for face in rows:
        members.setdefault(face.person_id, []).append(int(who[face.id - ids[0]]))
    assert all(len(set(m)) == 1 for m in members.values())  # no cluster mixes two people
    per_person = Counter(m[0] for m in members.values())
    assert len(per_person) == 1000 and max(per_person.values()) <= 2  # rarely split
