"""Text and example search rank what the test model has learned."""

from __future__ import annotations

from pathlib import Path

import pytest

from clipdesk.catalog import Catalog
from clipdesk.pipeline.indexer import Indexer
from clipdesk.search.index import NotFound, search_similar, search_text


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

    from clipdesk.testing.synthetic import render

    outside = tmp_path / "outside.jpg"
    render("white", "square", (300, 200), np.random.default_rng(5)).image.save(outside)
    hits = search_similar(indexed, embedder, outside, limit=3)
    labels = [_label(h.path) for h in hits]
    assert labels[0].startswith("white") and "white square" in labels


def test_similar_to_a_missing_file_is_a_clear_error(indexed, embedder, tmp_path):
    with pytest.raises(NotFound, match="no such photo"):
        search_similar(indexed, embedder, tmp_path / "nope.jpg")


# -- the text encoder's optimised graph ----------------------------------------------------


def test_the_text_graph_is_optimised_once_then_loaded_and_encodes_the_same(
    tmp_path, embedder, onnx_cache
):
    import shutil

    import numpy as np
    import onnxruntime as ort

    from clipdesk.embedding import load_embedder
    from clipdesk.embedding.onnx_runtime import optimised_path

    onnx_dir = tmp_path / "onnx"
    shutil.copytree(onnx_cache, onnx_dir)
    for old in onnx_dir.rglob("*.opt-*"):
        old.unlink()

    def load():
        return load_embedder("test", backend="onnx", weights_dir=tmp_path / "w", onnx_dir=onnx_dir)

    texts = ["red circle", "a photo of a blue square", "x " * 90]
    first = load()
    graph = Path(first.info["onnx_folder"]) / "text.onnx"
    saved = optimised_path(graph, ort.__version__)
    assert not saved.exists()
    a = first.encode_texts(texts)
    assert saved.is_file()  # saved by the first session
    # the export's graph as it was opened before (optimised at every load, all 77 positions)
    plain = ort.InferenceSession(str(graph), providers=["CPUExecutionProvider"])
    before = plain.run(None, {"tokens": np.asarray(first._tokenize(texts), np.int64)})[0]
    before /= np.linalg.norm(before, axis=1, keepdims=True)
    assert np.sum(a * before, axis=1).min() >= 0.9999

    b = load().encode_texts(texts)  # a later process: the saved copy, no optimisation
    assert np.sum(b * before, axis=1).min() >= 0.9999

    # its weights are in a file beside it, which ONNX Runtime maps instead of parsing
    weights = saved.with_name(f"{saved.name}.data")
    assert weights.stat().st_size > saved.stat().st_size

    saved.write_bytes(b"\x00 not a graph")  # damaged: removed, the export used, saved again
    c = load().encode_texts(texts)
    assert np.sum(c * before, axis=1).min() >= 0.9999
    assert saved.stat().st_size > 1000

    with open(weights, "r+b") as f:  # weights cut short: the same
        f.truncate(weights.stat().st_size // 2)
    d = load().encode_texts(texts)
    assert np.sum(d * before, axis=1).min() >= 0.9999
    assert weights.stat().st_size > saved.stat().st_size
