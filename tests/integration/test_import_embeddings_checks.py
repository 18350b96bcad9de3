"""`clipdesk import-embeddings` checks every shard row before it keeps any (issue 26, item 4).

Shards are written here with pyarrow in the layout `clipdesk cluster-embed` writes (no Ray),
with the test model's identity, then imported by real `clipdesk` processes into a real
catalog. A bad shard is refused in one line naming its file and row, nothing is imported,
and the library stays usable.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from tests.support.cli import run

pa = pytest.importorskip("pyarrow", reason="needs the cluster extra: pip install '.[cluster]'")
pq = pytest.importorskip("pyarrow.parquet")

TEST_DIM = 64  # the test model's


def _identity(home: Path):
    from clipdesk.cluster.identity import model_identity

    return model_identity("test", home / "cache" / "weights")


def _write_shard(out: Path, home: Path, vectors: np.ndarray, **columns) -> Path:
    """One shard of ``len(vectors)`` photos (content h0, h1, ...) in DIR/shards/run/."""
    from clipdesk.cluster.shards import shard_schema

    ident = _identity(home)
    n, dim = vectors.shape
    rows = {
        "hash": [f"h{i}" for i in range(n)],
        "size": [1000 + i for i in range(n)],
        "root": ["/archive"] * n,
        "path": [f"p{i}.jpg" for i in range(n)],
        "width": [64] * n,
        "height": [48] * n,
        "orientation": [1] * n,
        "taken_at": [None] * n,
        "model": [ident.name] * n,
        "weights_sha256": [ident.weights_sha256] * n,
        "vector": pa.FixedSizeListArray.from_arrays(
            pa.array(vectors.reshape(-1).astype(np.float32), pa.float32()), dim
        ),
        "error": [None] * n,
    } | columns
    schema = shard_schema(dim) if "schema" not in columns else columns.pop("schema")
    rows.pop("schema", None)
    table = pa.table(rows, schema=schema)
    where = out / "shards" / "run"
    where.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, where / "0.parquet")
    return where / "0.parquet"


def _unit(n: int, dim: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _bad(kind: str) -> tuple[np.ndarray, int]:
    """Six photos' vectors with one bad row (the vectors, the bad row)."""
    v = _unit(6, TEST_DIM)
    if kind == "nan":
        v[3, 5] = np.nan
        return v, 3
    if kind == "zero":
        v[2] = 0.0
        return v, 2
    if kind == "huge":
        v[4] = 3e38
        return v, 4
    if kind == "all-identical":  # of length 1, but every value the same
        v[1] = 1 / np.sqrt(TEST_DIM)
        return v, 1
    raise ValueError(kind)


def _state(home: Path) -> dict:
    conn = sqlite3.connect(home / "data" / "catalog.sqlite3")
    try:
        return {
            "models": sorted(conn.execute("SELECT name, dim FROM models")),
            "pending": conn.execute("SELECT COUNT(*) FROM pending_vectors").fetchone()[0],
            "embeddings": conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0],
        }
    finally:
        conn.close()


def _refused(proc, shard: Path, row: int | None) -> None:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert str(shard) in proc.stderr and "nothing was imported" in proc.stderr, proc.stderr
    if row is not None:
        assert f"row {row} " in proc.stderr, proc.stderr
    assert proc.stdout == ""


def test_seven_value_vectors_into_a_new_library_are_refused_and_it_stays_usable(
    home, shapes, tmp_path
):
    shard = _write_shard(tmp_path / "out", home, _unit(5, 7))
    proc = run("--model", "test", "import-embeddings", str(tmp_path / "out"), check=False)
    _refused(proc, shard, 0)
    assert "7 values" in proc.stderr and str(TEST_DIM) in proc.stderr
    assert _state(home)["pending"] == 0
    assert ("test", 7) not in _state(home)["models"]
    # Usable: every later command works, and the model keeps its own dimension.
    run("--model", "test", "add", str(shapes))
    assert _state(home)["models"] == [("test", TEST_DIM)]
    assert "red_circle" in run("search", "red circle", "--limit", "3").stdout
    assert run("tags", str(sorted(shapes.glob("*.jpg"))[0])).returncode == 0


def test_bad_vectors_into_an_existing_library_import_nothing(home, shapes, tmp_path):
    run("--model", "test", "add", str(shapes))
    before = _state(home)
    cases = [("dim7", _unit(6, 7), 0)] + [(k, *_bad(k)) for k in
             ("nan", "zero", "huge", "all-identical")]  # fmt: skip
    for kind, vectors, row in cases:
        out = tmp_path / kind
        shard = _write_shard(out, home, vectors)
        proc = run("--model", "test", "import-embeddings", str(out), check=False)
        _refused(proc, shard, row)
        assert _state(home) == before, kind
    found = run("search", "red circle", "--limit", "3")
    assert "red_circle" in found.stdout
    assert "Warning" not in found.stderr, found.stderr
    duplicates = run("duplicates")
    assert duplicates.returncode == 0, duplicates.stderr


def test_a_shard_not_in_the_cluster_layout_is_refused(home, tmp_path):
    vectors = _unit(4, TEST_DIM)
    out = tmp_path / "orientation"
    shard = _write_shard(out, home, vectors, orientation=[1, 1, 0, 1])
    _refused(run("--model", "test", "import-embeddings", str(out), check=False), shard, 2)
    out = tmp_path / "no-hash"
    shard = _write_shard(out, home, vectors, hash=["h0", None, "h2", "h3"])
    _refused(run("--model", "test", "import-embeddings", str(out), check=False), shard, 1)
    # A vector column of lists of any length (not the fixed size a model's vectors have).
    out = tmp_path / "ragged"
    ragged = pa.array([list(v) for v in vectors], pa.list_(pa.float32()))
    from clipdesk.cluster.shards import shard_schema

    schema = shard_schema(TEST_DIM)
    schema = schema.set(schema.get_field_index("vector"), pa.field("vector", ragged.type))
    shard = _write_shard(out, home, vectors, vector=ragged, schema=schema)
    proc = run("--model", "test", "import-embeddings", str(out), check=False)
    _refused(proc, shard, None)
    assert "column 'vector'" in proc.stderr
    out = tmp_path / "not-parquet"
    (out / "shards" / "run").mkdir(parents=True)
    junk = out / "shards" / "run" / "0.parquet"
    junk.write_bytes(b"this is no parquet file")
    _refused(run("--model", "test", "import-embeddings", str(out), check=False), junk, None)
    catalog = home / "data" / "catalog.sqlite3"
    assert not catalog.exists() or _state(home)["pending"] == 0


def test_a_sound_shard_is_imported(home, tmp_path):
    _write_shard(tmp_path / "out", home, _unit(5, TEST_DIM))
    proc = run("--model", "test", "import-embeddings", str(tmp_path / "out"))
    assert "5 vectors read" in proc.stdout and "5 wait for their photos" in proc.stdout
    assert _state(home)["pending"] == 5
