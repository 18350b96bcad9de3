"""Text and example search rank what the test model has learned."""

from __future__ import annotations

import pytest

from clipdesk.catalog import Catalog
from clipdesk.indexer import Indexer
from clipdesk.search import NotFound, search_similar, search_text


@pytest.fixture
def indexed(tmp_path, embedder, shapes_dir):
    cat = Catalog(tmp_path / "cat.sqlite3")
    cat.add_folder(shapes_dir)
    Indexer(cat, embedder).run()
    return cat


def _label(path: str) -> str:
    return " ".join(path.rsplit("/", 1)[1].removesuffix(".jpg").split("_")[1:])


@pytest.mark.parametrize("query", ["red circle", "blue square", "yellow triangle", "black circle"])
def test_text_search_ranks_matching_photos_first(indexed, embedder, query):
    hits = search_text(indexed, embedder, query, limit=36)
    assert len(hits) == 36
    assert [_label(h.path) for h in hits[:2]] == [query, query]
    assert hits[0].score >= hits[1].score >= hits[-1].score


def test_similar_finds_photos_of_the_same_kind(indexed, embedder, shapes_dir):
    example = sorted(shapes_dir.glob("*green_triangle.jpg"))[0]
    hits = search_similar(indexed, embedder, example, limit=5)
    assert str(example) not in [h.path for h in hits]
    labels = [_label(h.path) for h in hits]
    # The test model learned colour more firmly than shape (91% top-1 same class over 720
    # photos, 99.6% same colour): the nearest photo is green, its twin is in the top 3.
    assert labels[0].startswith("green") and "green triangle" in labels[:3]


def test_similar_accepts_a_photo_outside_the_library(indexed, embedder, tmp_path):
    import numpy as np

    from clipdesk.synthetic import render

    outside = tmp_path / "outside.jpg"
    render("white", "square", (300, 200), np.random.default_rng(5)).image.save(outside)
    hits = search_similar(indexed, embedder, outside, limit=3)
    labels = [_label(h.path) for h in hits]
    assert labels[0].startswith("white") and "white square" in labels


def test_similar_to_a_missing_file_is_a_clear_error(indexed, embedder, tmp_path):
    with pytest.raises(NotFound, match="no such photo"):
        search_similar(indexed, embedder, tmp_path / "nope.jpg")
