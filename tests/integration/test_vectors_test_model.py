"""Search-ready vector files on the test model's embeddings: float16 and the compact scan rank
as the exact search does, through appends and rebuilds."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from clipdesk.catalog import Catalog
from clipdesk.pipeline.indexer import Indexer
from clipdesk.search.index import SearchCache, VectorIndex, search_text
from clipdesk.testing.synthetic import write_folder
from tests.support.rankings import overlap, same_top


@contextmanager
def _indexed_shapes(tmp_path, embedder):
    """(catalog, model id) of 180 coloured shapes embedded with the test model."""
    photos = tmp_path / "photos"
    write_folder(photos, 180, seed=3)
    with Catalog(tmp_path / "data" / "catalog.sqlite3") as cat:
        cat.add_folder(photos)
        Indexer(cat, embedder).run()
        yield cat, cat.model_id(embedder.name, embedder.dim)


def test_float16_ranking_matches_float32_on_the_test_models_embeddings(tmp_path, embedder):
    with _indexed_shapes(tmp_path, embedder) as (cat, model_id):
        i16 = VectorIndex.load(cat, model_id, "float16")
        i32 = VectorIndex.load(cat, model_id, "float32")
        assert len(i16) == len(i32) == 180
        texts = [
            f"a photo of a {c} {s}"
            for c in ("red", "green", "blue")
            for s in ("circle", "square", "triangle")
        ]
        overlaps = []
        for q in embedder.encode_texts(texts):
            a, b = i16.top(q, 50), i32.top(q, 50)
            overlaps.append(overlap(a, b, 50))
            np.testing.assert_allclose([s for _, s in a], [s for _, s in b], atol=2e-3)
        assert np.mean(overlaps) >= 0.99


def test_the_compact_scan_returns_the_exact_top_on_the_test_models_embeddings(
    tmp_path, embedder, compact_everywhere
):
    with _indexed_shapes(tmp_path, embedder) as (cat, model_id):
        index = VectorIndex.load(cat, model_id)
        assert index.compact is not None and len(index) == 180
        assert index.pack(wait=True)
        texts = [f"a photo of a {c} {s}" for c in ("red", "blue") for s in ("circle", "square")]
        _, mat = cat.embedding_matrix(model_id)
        overlaps = [
            same_top(index.top(q, 50), index.top_exact(q, 50))
            for q in [*embedder.encode_texts(texts), *mat[:4]]
        ]
        assert np.mean(overlaps) >= 0.99
        hits = search_text(cat, embedder, "red circle", limit=5, index=index)
        assert all("red_circle" in h.path for h in hits[:2])


def test_searches_stay_right_through_appends_and_rebuilds(tmp_path, embedder, shapes):
    with Catalog(tmp_path / "data" / "catalog.sqlite3") as cat:
        cat.add_folder(shapes)
        Indexer(cat, embedder).run()
        cache = SearchCache()
        model_id = cat.model_id(embedder.name, embedder.dim)

        def labels(ranked):
            return [cat.photo(i).path.rsplit("/", 1)[1].split("_", 1)[1] for i, _ in ranked]

        assert labels(cache.text(cat, embedder, "red circle", limit=2)) == ["red_circle.jpg"] * 2
        assert cache.index(cat, embedder).source == "rebuilt"
        write_folder(shapes / "more", 18, seed=99)  # one more of each class
        Indexer(cat, embedder).run()
        assert cache.index(cat, embedder).source == "appended"
        assert len(cache.index(cat, embedder)) == 54
        top3 = cache.text(cat, embedder, "red circle", limit=3)
        assert labels(top3) == ["red_circle.jpg"] * 3
        assert any("/more/" in cat.photo(i).path for i, _ in top3)

        red_circles = [i for i, _ in top3]
        with cat.transaction():
            cat.mark_missing(red_circles)
        assert cache.index(cat, embedder).source == "rebuilt"
        assert not set(red_circles) & {
            i for i, _ in cache.text(cat, embedder, "red circle", limit=54)
        }

        hits = search_text(cat, embedder, "blue square", limit=2)  # a cold search
        assert [h.path.rsplit("_", 2)[-2:] for h in hits] == [["blue", "square.jpg"]] * 2
        assert VectorIndex.load(cat, model_id).source == "file"
