"""Synthetic face vectors for tests and benchmarks (issue 27): people as random unit centres
in SFace's 128 dimensions, faces as noisy copies (``noise`` 0.7: two faces of one person
have a cosine of about 0.67, as SFace gives across photos; different people about 0), and
a catalog filled with them, one photo per face."""

from __future__ import annotations

import time

import numpy as np

from clipdesk.catalog import Catalog


def synthetic(n: int, people: int, noise: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((people, 128)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    who = rng.integers(0, people, n)
    v = centres[who] + noise * rng.standard_normal((n, 128)).astype(np.float32) / np.sqrt(128)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return who, v.astype(np.float32)


def fill(cat: Catalog, vectors: np.ndarray) -> list[int]:
    now = time.time()
    folder = cat.add_folder("/synthetic")
    with cat.transaction():
        cat.conn.executemany(
            "INSERT INTO photos(id, folder_id, path, size, mtime_ns, hash, status, updated_at) "
            "VALUES (?, ?, ?, 1, 1, ?, 'indexed', ?)",
            [(i + 1, folder, f"/synthetic/{i}.jpg", f"h{i}", now) for i in range(len(vectors))],
        )
        cat.conn.executemany(
            "INSERT INTO faces(id, photo_id, x, y, w, h, source, vector, created_at) "
            "VALUES (?, ?, 0.1, 0.1, 0.2, 0.2, 'detector', ?, ?)",
            [(i + 1, i + 1, v.tobytes(), now) for i, v in enumerate(vectors)],
        )
    return list(range(1, len(vectors) + 1))
