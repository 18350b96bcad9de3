"""Search-ready vector files: fresh, appended, rebuilt from the catalog, never trusted when
damaged or stale; float16 storage ranks as float32 does. Real catalogs, real files, random
vectors."""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3

import numpy as np
import pytest

from clipdesk.catalog import Catalog
from clipdesk.catalog.schema import SCHEMA_VERSION, V1, V2, V3, V4
from clipdesk.catalog.vectors import DEFAULT_DTYPE, VectorFile, load_vectors, vectors_dir
from clipdesk.search.index import VectorIndex
from tests.support.rankings import overlap, same_top

DIM = 16


def _unit(rng, n, dim=DIM):
    v = rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def add_photos(cat, folder, model_id, start, n, rng, dim=DIM):
    vecs = _unit(rng, n, dim)
    ids = []
    with cat.transaction():
        for i, v in zip(range(start, start + n), vecs, strict=True):
            pid = cat.insert_photo(folder, f"/p/{i:06d}.jpg", 100 + i, i, f"{i:032x}")
            cat.set_decoded(pid, 60, 40, 1, None)
            cat.put_embedding(pid, model_id, v)
            ids.append(pid)
    return ids


@pytest.fixture
def synthetic(tmp_path):
    """A catalog of 300 photos with random unit vectors (dim 16)."""
    cat = Catalog(tmp_path / "data" / "catalog.sqlite3")
    folder = cat.add_folder("/p")
    model_id = cat.model_id("m", DIM)
    add_photos(cat, folder, model_id, 0, 300, np.random.default_rng(0))
    yield cat, folder, model_id
    cat.close()


def assert_matches_catalog(cat, model_id, v, atol=1e-3):
    ids, mat = cat.embedding_matrix(model_id)
    order = np.argsort(np.asarray(v.ids), kind="stable")
    np.testing.assert_array_equal(np.asarray(v.ids)[order], ids)
    np.testing.assert_allclose(np.asarray(v.matrix, np.float32)[order], mat, atol=atol)


def assert_compact_matches(v):
    """The compact rows decode to the float rows within the recorded error."""
    c = v.compact
    decoded = (c.codes.astype(np.float32) - 128) * c.scales[:, None]
    err = np.linalg.norm(decoded - np.asarray(v.matrix, np.float32), axis=1)
    assert len(c.codes) == len(v.ids) and err.max() <= c.row_err + 1e-6


def header(cat, model_id, dtype=DEFAULT_DTYPE):
    return VectorFile(vectors_dir(cat), model_id, dtype).header_path


def test_version_4_catalog_migrates_and_gets_a_generation_counter(tmp_path):
    path = tmp_path / "v4.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(V1 + V2 + V3 + V4)
    conn.execute("INSERT INTO folders(id, path, added_at) VALUES (1, '/p', 0)")
    for i in (1, 2):
        conn.execute(
            "INSERT INTO photos(id, folder_id, path, size, mtime_ns, hash, width, height, "
            "status, updated_at) VALUES (?, 1, ?, 10, 5, 'h', 64, 48, 'indexed', 0)",
            (i, f"/p/{i}.jpg"),
        )
        conn.execute(
            "INSERT INTO embeddings(photo_id, model_id, vector) VALUES (?, 1, ?)",
            (i, np.array([0.6, 0.8], np.float32).tobytes()),
        )
    conn.execute("INSERT INTO models(id, name, dim) VALUES (1, 'm', 2)")
    conn.execute("PRAGMA user_version = 4")
    conn.commit()
    conn.close()
    with Catalog(path) as cat:
        assert cat.schema_version() == SCHEMA_VERSION
        uid, gen, seq = cat.vector_state()
        v = load_vectors(cat, 1)
        assert v.source == "rebuilt" and sorted(v.ids) == [1, 2]
        np.testing.assert_allclose(np.asarray(v.matrix, np.float32), [[0.6, 0.8]] * 2, atol=1e-3)
        cat.put_embedding(2, 1, np.array([0.8, 0.6], np.float32))  # a replaced vector
        assert cat.vector_state()[1] == gen + 1
        assert load_vectors(cat, 1).source == "rebuilt"
    with Catalog(tmp_path / "other.sqlite3") as other:
        assert other.vector_state()[0] != uid  # each catalog has its own identity


def test_the_counter_tells_appends_from_changes(synthetic):
    cat, folder, model_id = synthetic
    uid, gen, seq = cat.vector_state()
    add_photos(cat, folder, model_id, 1000, 3, np.random.default_rng(1))
    assert cat.vector_state() == (uid, gen, seq + 6)  # 3 photos listed + 3 embeddings
    with cat.transaction():
        cat.mark_missing([1, 2])
    gen2 = cat.vector_state()[1]
    assert gen2 > gen
    with cat.transaction():
        cat.restore(1)  # back: its embedding is stamped again, to be appended
    assert cat.vector_state()[1:] == (gen2, seq + 7)
    with cat.transaction():
        cat.mark_scored(model_id, [1, 3])  # not a change to the vectors
        cat.touch(3, 99)
    assert cat.vector_state()[1:] == (gen2, seq + 7)
    cat.remove_folder(folder)  # cascades to photos and embeddings
    assert cat.vector_state()[1] > gen2


@pytest.mark.parametrize("dtype", ["float16", "float32"])
def test_cold_open_returns_what_the_catalog_holds(synthetic, dtype):
    cat, _, model_id = synthetic
    first = load_vectors(cat, model_id, dtype)
    assert first.source == "rebuilt" and first.matrix.dtype == np.dtype(dtype)
    assert_matches_catalog(cat, model_id, first, atol=1e-3 if dtype == "float16" else 1e-7)
    with Catalog(cat.path) as again:  # as a new process would
        v = load_vectors(again, model_id, dtype)
        assert v.source == "file" and isinstance(v.matrix, np.memmap)
        assert_matches_catalog(again, model_id, v, atol=1e-3 if dtype == "float16" else 1e-7)
        norms = np.linalg.norm(np.asarray(v.matrix, np.float32), axis=1)
        np.testing.assert_allclose(norms, 1.0, atol=2e-3)


def test_new_embeddings_are_appended_and_deletions_rebuild(synthetic):
    cat, folder, model_id = synthetic
    load_vectors(cat, model_id)
    new = add_photos(cat, folder, model_id, 1000, 25, np.random.default_rng(2))
    v = load_vectors(cat, model_id)
    assert v.source == "appended" and set(new) <= set(v.ids.tolist())
    assert_matches_catalog(cat, model_id, v)
    assert load_vectors(cat, model_id).source == "file"

    with cat.transaction():
        cat.mark_missing(new[:5])
    v = load_vectors(cat, model_id)
    assert v.source == "rebuilt" and not set(new[:5]) & set(v.ids.tolist())
    assert_matches_catalog(cat, model_id, v)

    with cat.transaction():  # a photo's content changed: its old vector must go
        cat.update_changed(new[6], 1, 1, "x")
    v = load_vectors(cat, model_id)
    assert v.source == "rebuilt" and new[6] not in v.ids
    assert_matches_catalog(cat, model_id, v)

    cat.remove_folder(folder)
    v = load_vectors(cat, model_id)
    assert v.source == "rebuilt" and len(v.ids) == 0
    assert len(VectorIndex.load(cat, model_id).top(_unit(np.random.default_rng(3), 1)[0], 5)) == 0
    # one set of data files is left, the header's
    files = sorted(p.suffix for p in vectors_dir(cat).glob("model-*"))
    assert files == [".ids", ".json", ".lock", ".scale", ".u8", ".vec"]


def test_a_killed_append_leaves_bytes_that_are_never_read(synthetic):
    cat, folder, model_id = synthetic
    load_vectors(cat, model_id)
    head = json.loads(header(cat, model_id).read_bytes())
    folder_path = vectors_dir(cat)
    with open(folder_path / head["ids_file"], "ab") as f:  # rows written, header not
        f.write(np.arange(7, dtype=np.int64).tobytes())
    with open(folder_path / head["vec_file"], "ab") as f:
        f.write(np.ones((5, DIM), np.float32).tobytes())
    v = load_vectors(cat, model_id)
    assert v.source == "file" and len(v.ids) == 300
    add_photos(cat, folder, model_id, 1000, 4, np.random.default_rng(4))
    v = load_vectors(cat, model_id)
    assert v.source == "appended" and len(v.ids) == 304
    assert_matches_catalog(cat, model_id, v)


def _damage_truncate(folder, head, path):
    with open(folder / head["vec_file"], "r+b") as f:
        f.truncate(head["n"] * head["dim"] * np.dtype(head["dtype"]).itemsize - 10)


def _damage_scribble(folder, head, path):
    with open(path, "r+b") as f:
        f.write(b"\x00garbage\xff")


def _damage_header_too_long(folder, head, path):
    path.write_text(json.dumps({**head, "n": head["n"] + 50}))


def _damage_ids(folder, head, path):
    with open(folder / head["ids_file"], "r+b") as f:
        f.seek(8 * 10)
        f.write(np.int64(999_999).tobytes())


def _damage_vectors(folder, head, path):
    with open(folder / head["vec_file"], "r+b") as f:  # the first row is in the sample
        f.write(np.full(DIM, 0.5, head["dtype"]).tobytes())


def _damage_missing_data(folder, head, path):
    (folder / head["vec_file"]).unlink()


def _damage_codes(folder, head, path):
    with open(folder / head["codes_file"], "r+b") as f:  # the first row is in the sample
        f.write(bytes(range(DIM)))


def _damage_codes_truncated(folder, head, path):
    with open(folder / head["codes_file"], "r+b") as f:
        f.truncate(head["n"] * head["dim"] - 3)


def _damage_missing_scales(folder, head, path):
    (folder / head["scales_file"]).unlink()


def _damage_version_1(folder, head, path):  # a file written before the compact matrix
    old = {k: v for k, v in head.items() if k not in ("codes_file", "scales_file", "codes_crc")}
    path.write_text(json.dumps({**old, "version": 1}))


@pytest.mark.parametrize(
    "damage",
    [
        _damage_truncate,
        _damage_scribble,
        _damage_header_too_long,
        _damage_ids,
        _damage_vectors,
        _damage_missing_data,
        _damage_codes,
        _damage_codes_truncated,
        _damage_missing_scales,
        _damage_version_1,
    ],
)
def test_a_damaged_file_is_rebuilt_from_the_catalog(synthetic, damage):
    cat, _, model_id = synthetic
    load_vectors(cat, model_id)
    path = header(cat, model_id)
    damage(vectors_dir(cat), json.loads(path.read_bytes()), path)
    with Catalog(cat.path) as again:
        v = load_vectors(again, model_id)
        assert v.source == "rebuilt"
        assert_matches_catalog(again, model_id, v)
        assert_compact_matches(v)
        assert load_vectors(again, model_id).source == "file"


def test_a_file_of_another_catalog_is_not_trusted(tmp_path):
    path = tmp_path / "data" / "catalog.sqlite3"
    for seed in (1, 2):  # the same steps, so the same counters: only the identity differs
        with Catalog(path) as cat:
            folder = cat.add_folder("/p")
            model_id = cat.model_id("m", DIM)
            add_photos(cat, folder, model_id, 0, 50, np.random.default_rng(seed))
            v = load_vectors(cat, model_id)
            assert v.source == "rebuilt"
            assert_matches_catalog(cat, model_id, v)
        for p in path.parent.glob("catalog.sqlite3*"):
            p.unlink()


def test_a_busy_writer_lock_searches_from_the_file_and_the_catalog(synthetic):
    cat, folder, model_id = synthetic
    load_vectors(cat, model_id)
    before = header(cat, model_id).read_bytes()
    new = add_photos(cat, folder, model_id, 1000, 10, np.random.default_rng(5))
    vf = VectorFile(vectors_dir(cat), model_id)
    fd = os.open(vf.folder / f"{vf.stem}.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another writer at work
        v = load_vectors(cat, model_id)
        assert v.source == "memory" and set(new) <= set(v.ids.tolist())
        assert_matches_catalog(cat, model_id, v)
        assert header(cat, model_id).read_bytes() == before
    finally:
        os.close(fd)
    assert load_vectors(cat, model_id).source == "appended"


@pytest.mark.parametrize(
    "how", [pytest.param("chmod", marks=pytest.mark.permissions), "not a folder"]
)
def test_a_read_only_data_folder_still_searches(synthetic, how):
    cat, folder, model_id = synthetic
    vdir = vectors_dir(cat)
    if how == "chmod":
        if os.geteuid() == 0:
            pytest.skip("root writes through permissions")
        load_vectors(cat, model_id)
        add_photos(cat, folder, model_id, 1000, 10, np.random.default_rng(6))
        for p in [vdir, *vdir.iterdir()]:
            p.chmod(0o555 if p.is_dir() else 0o444)
    else:
        vdir.write_bytes(b"")  # vectors/ cannot be made
    try:
        ids, mat = cat.embedding_matrix(model_id)
        index = VectorIndex.load(cat, model_id)
        assert_matches_catalog(cat, model_id, index)
        got = index.top(mat[17], 3)
        assert got[0][0] == ids[17] and got[0][1] == pytest.approx(1.0, abs=2e-3)
    finally:
        if how == "chmod":
            for p in [vdir, *vdir.iterdir()]:
                p.chmod(0o755 if p.is_dir() else 0o644)


def test_float16_ranking_matches_float32_on_20k_random_vectors(tmp_path):
    rng = np.random.default_rng(11)
    dim = 512
    with Catalog(tmp_path / "data" / "catalog.sqlite3") as cat:
        folder = cat.add_folder("/p")
        model_id = cat.model_id("big", dim)
        add_photos(cat, folder, model_id, 0, 20_000, rng, dim)
        i16 = VectorIndex.load(cat, model_id, "float16")
        i32 = VectorIndex.load(cat, model_id, "float32")
        assert i16.matrix.dtype == np.float16 and i32.matrix.dtype == np.float32
        _, mat = cat.embedding_matrix(model_id)
        # queries: near a stored photo (as a query about it would be) and random ones
        queries = np.concatenate([mat[:20] + 0.05 * _unit(rng, 20, dim), _unit(rng, 20, dim)])
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        overlaps = [overlap(i16.top(q, 50), i32.top(q, 50), 50) for q in queries]
        assert np.mean(overlaps) >= 0.99 and min(overlaps) >= 0.96
        np.testing.assert_allclose(i16.scores(queries[0]), mat @ queries[0], atol=2e-3)


def _clustered(rng, n, dim, centres=40, spread=0.25):
    """Unit vectors around a few centres: many near ties, the hard case for a shortlist."""
    c = _unit(rng, centres, dim)
    v = c[rng.integers(0, centres, n)] + spread * _unit(rng, n, dim) * rng.random((n, 1))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_the_compact_scan_returns_the_exact_top_50_on_clustered_vectors(
    tmp_path, compact_everywhere, dtype
):
    rng = np.random.default_rng(21)
    n, dim = 30_000, 128
    vecs = _clustered(rng, n, dim)
    with Catalog(tmp_path / "data" / "catalog.sqlite3") as cat:
        model_id = cat.model_id("m", dim)
        chunks = ((np.arange(s + 1, s + 5001), vecs[s : s + 5000]) for s in range(0, n, 5000))
        v = VectorFile(vectors_dir(cat), model_id, dtype).write(cat.vector_state(), dim, chunks)
        index = VectorIndex(v.ids, v.matrix, v.source, v.compact)
        q0 = vecs[3]
        assert index.top(q0, 5) == index.top_exact(q0, 5)  # first query: exact, no packing
        assert index._scan is None
        index.top(q0, 5)  # the second starts packing in the background
        assert index.pack(wait=True)
        queries = np.concatenate([vecs[:10] + 0.05 * _unit(rng, 10, dim), _unit(rng, 10, dim)])
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        only = np.arange(1, n + 1, 3)
        overlaps = []
        for q in queries:
            overlaps.append(same_top(index.top(q, 50), index.top_exact(q, 50)))
            same_top(index.top(q, 50, exclude=1, only=only), index.top_exact(q, 50, 1, only))
        assert np.mean(overlaps) >= 0.99
        assert index.rescored < n // 4  # the shortlist and the bound did the work


def test_the_compact_scan_finds_exactly_the_rows_above_a_score(tmp_path, compact_everywhere):
    rng = np.random.default_rng(22)
    n, dim = 30_000, 128
    vecs = _clustered(rng, n, dim)
    with Catalog(tmp_path / "data" / "catalog.sqlite3") as cat:
        model_id = cat.model_id("m", dim)
        chunks = ((np.arange(s + 1, s + 5001), vecs[s : s + 5000]) for s in range(0, n, 5000))
        v = VectorFile(vectors_dir(cat), model_id, "float16").write(cat.vector_state(), dim, chunks)
        index = VectorIndex(v.ids, v.matrix, v.source, v.compact)
        assert index.pack(wait=True)
        mask = np.arange(n) % 3 == 0
        for q in [*(vecs[:5] + 0.05 * _unit(rng, 5, dim)), *_unit(rng, 3, dim)]:
            q = q / np.linalg.norm(q)
            exact = index.scores(q)
            for at, rows_mask in [(np.quantile(exact, 0.99), None), (np.max(exact) - 0.2, mask)]:
                index.rescored = 0
                rows, scores = index.above(q, at, rows_mask)
                want = exact >= at if rows_mask is None else (exact >= at) & rows_mask
                near = np.abs(exact - at) < 1e-5  # either side, by float rounding
                assert set(rows) - set(np.flatnonzero(near)) == set(np.flatnonzero(want & ~near))
                np.testing.assert_allclose(scores, exact[rows], atol=1e-5)
                assert 0 < index.rescored < n // 4  # the bound ruled most rows out
        rows, scores = index.above(vecs[0], -np.inf, mask)  # every row considered
        np.testing.assert_array_equal(rows, np.flatnonzero(mask))
