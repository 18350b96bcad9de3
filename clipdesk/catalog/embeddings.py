"""The catalog's queries about models and embeddings: which models photos were embedded
with, what tagging remembers of each, the vectors and their version stamps.

A part of :class:`clipdesk.catalog.db.Catalog` (a mixin over its ``conn``), kept apart so
that db.py holds the photos and folders.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator

import numpy as np


class ModelQueries:
    conn: sqlite3.Connection

    def model_id(self, name: str, dim: int) -> int:
        """The model's id; a model seen for the first time is added (the only write, so that
        searching a read-only catalog works)."""
        row = self.conn.execute("SELECT id, dim FROM models WHERE name = ?", (name,)).fetchone()
        if row is None:
            self.conn.execute("INSERT OR IGNORE INTO models(name, dim) VALUES (?, ?)", (name, dim))
            row = self.conn.execute("SELECT id, dim FROM models WHERE name = ?", (name,)).fetchone()
        if row[1] != dim:
            raise ValueError(f"model {name!r} was stored with dimension {row[1]}, not {dim}")
        return row[0]

    def find_model(self, name: str) -> tuple[int, int] | None:
        """(id, dim) of a model photos were embedded with, None if none ever was; asks
        no model (a command that needs only the catalog's facts never loads one)."""
        row = self.conn.execute("SELECT id, dim FROM models WHERE name = ?", (name,)).fetchone()
        return (row[0], row[1]) if row else None

    def model_facts(self, name: str) -> dict | None:
        """What tagging needs to know of a model, remembered from when it was last loaded
        (its logit scale, the reference prompts' vector), or None."""
        row = self.conn.execute(
            "SELECT value FROM meta WHERE key = ?", (f"model_facts:{name}",)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def set_model_facts(self, name: str, facts: dict) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
            (f"model_facts:{name}", json.dumps(facts)),
        )

    def model_note(self, kind: str, name: str) -> dict | None:
        """A JSON note tagging keeps per model (``kind``: "nulls", "evidence"), or None."""
        row = self.conn.execute(
            "SELECT value FROM meta WHERE key = ?", (f"{kind}:{name}",)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def set_model_note(self, kind: str, name: str, value: dict) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
            (f"{kind}:{name}", json.dumps(value)),
        )

    def has_pending(self, model_id: int | None) -> bool:
        """Whether any present photo has no embedding for ``model_id`` (None: a model no
        photo was embedded with, so any present photo is pending)."""
        if model_id is None:
            sql, args = "SELECT 1 FROM photos WHERE status IN ('new', 'indexed') LIMIT 1", ()
        else:
            sql = (
                "SELECT 1 FROM photos p WHERE p.status IN ('new', 'indexed') AND NOT EXISTS "
                "(SELECT 1 FROM embeddings e WHERE e.photo_id = p.id AND e.model_id = ?) LIMIT 1"
            )
            args = (model_id,)
        return self.conn.execute(sql, args).fetchone() is not None

    def put_embedding(self, photo_id: int, model_id: int, vector: np.ndarray) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO embeddings(photo_id, model_id, vector) VALUES (?, ?, ?)",
            (photo_id, model_id, np.ascontiguousarray(vector, dtype=np.float32).tobytes()),
        )

    def has_embeddings(self, model_id: int | None = None) -> bool:
        """Whether any photo is embedded (with ``model_id``, when given)."""
        if model_id is None:
            row = self.conn.execute("SELECT 1 FROM embeddings LIMIT 1").fetchone()
        else:
            row = self.conn.execute(
                "SELECT 1 FROM embeddings WHERE model_id = ? LIMIT 1", (model_id,)
            ).fetchone()
        return row is not None

    def embedding_version(self, model_id: int) -> tuple:
        """Changes whenever the set of searchable vectors of ``model_id`` may have changed
        (one tiny query: the generation counters the catalog's triggers keep)."""
        state = self.vector_state()
        if state is not None:
            return (model_id, *state)
        return (  # a catalog opened read-only before its migration to version 4
            model_id,
            *self.conn.execute(
                "SELECT COUNT(*), MAX(photo_id) FROM embeddings WHERE model_id = ?", (model_id,)
            ).fetchone(),
            *self.conn.execute("SELECT COUNT(*) FROM photos WHERE status = 'indexed'").fetchone(),
        )

    def vector_state(self) -> tuple[str, int, int] | None:
        """(uuid, gen, seq): the catalog's identity, the count of changes a search file
        cannot follow by appending, and the stamp of the newest searchable embedding.
        None for a catalog that predates them (opened read-only, not migrated)."""
        try:
            row = self.conn.execute(
                "SELECT uuid, gen, seq FROM vector_generation WHERE id = 1"
            ).fetchone()
        except sqlite3.OperationalError:
            return None
        return (row[0], int(row[1]), int(row[2])) if row else None

    def model_dim(self, model_id: int) -> int | None:
        row = self.conn.execute("SELECT dim FROM models WHERE id = ?", (model_id,)).fetchone()
        return int(row[0]) if row else None

    def embedding_chunks(
        self, model_id: int, after_seq: int | None = None, chunk: int = 8192
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(photo ids, float32 matrix) chunks of the searchable ``model_id`` embeddings: all
        of them in photo id order, or those stamped after ``after_seq`` in stamp order."""
        dim = self.model_dim(model_id) or 0
        if after_seq is None:
            cur = self.conn.execute(
                "SELECT e.photo_id, e.vector FROM embeddings e JOIN photos p ON p.id = e.photo_id "
                "WHERE e.model_id = ? AND p.status = 'indexed' ORDER BY e.photo_id",
                (model_id,),
            )
        else:
            cur = self.conn.execute(
                "SELECT e.photo_id, e.vector FROM embeddings e JOIN photos p ON p.id = e.photo_id "
                "WHERE e.model_id = ? AND e.seq > ? AND p.status = 'indexed' ORDER BY e.seq",
                (model_id, after_seq),
            )
        while rows := cur.fetchmany(chunk):
            ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
            mat = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32)
            yield ids, mat.reshape(len(rows), dim)

    def embedding(self, photo_id: int, model_id: int) -> np.ndarray | None:
        row = self.conn.execute(
            "SELECT vector FROM embeddings WHERE photo_id = ? AND model_id = ?",
            (photo_id, model_id),
        ).fetchone()
        return np.frombuffer(row[0], dtype=np.float32).copy() if row else None

    def embedding_matrix(self, model_id: int) -> tuple[np.ndarray, np.ndarray]:
        """(photo ids, float32 matrix) of every present photo embedded with ``model_id``."""
        dim = self.conn.execute("SELECT dim FROM models WHERE id = ?", (model_id,)).fetchone()
        rows = self.conn.execute(
            "SELECT e.photo_id, e.vector FROM embeddings e JOIN photos p ON p.id = e.photo_id "
            "WHERE e.model_id = ? AND p.status = 'indexed' ORDER BY e.photo_id",
            (model_id,),
        ).fetchall()
        if not rows:
            return np.zeros(0, np.int64), np.zeros((0, dim[0] if dim else 0), np.float32)
        ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
        mat = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1)
        return ids, mat
