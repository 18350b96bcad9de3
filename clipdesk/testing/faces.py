"""Synthetic face vectors for tests and benchmarks (issue 27): people as random unit centres
in the engine's 128 dimensions, faces as noisy copies (``noise`` 0.5: two faces of one
person have a cosine of about 0.8, a little under what the engine gives one person across
photos, a median of 0.86 on dlib's examples/johns; different people about 0), and a catalog
filled with them, one photo per face."""

from __future__ import annotations

import numpy as np

from clipdesk.catalog import Catalog
from clipdesk.people import faces_db


def synthetic(n: int, people: int, noise: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((people, 128)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    who = rng.integers(0, people, n)
    v = centres[who] + noise * rng.standard_normal((n, 128)).astype(np.float32) / np.sqrt(128)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return who, v.astype(np.float32)


def fill(cat: Catalog, vectors: np.ndarray) -> list[int]:
    """A photo per vector (indexed, in /synthetic) and a face on it with that vector, in
    one transaction, through the catalog's own calls; the face ids, in order."""
    folder = cat.add_folder("/synthetic")
    ids = []
    with cat.transaction():
        for i, v in enumerate(vectors):
            photo = cat.insert_photo(folder, f"/synthetic/{i}.jpg", 1, 1, f"h{i}")
            cat.set_decoded(photo, 1, 1, 1, None)
            ids.append(faces_db.add_face(cat, photo, (0.1, 0.1, 0.2, 0.2), v, "detector"))
    return ids
