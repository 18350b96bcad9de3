"""The indexing pipeline with the real test model, a real catalog and real files."""

from __future__ import annotations

import shutil
import threading
import time

import numpy as np
import pytest
from PIL import Image

from clipdesk.catalog import Catalog
from clipdesk.imaging import ThumbnailCache
from clipdesk.pipeline.indexer import Indexer


def _indexer(tmp_path, embedder, folder, **kw):
    cat = Catalog(tmp_path / "cat.sqlite3")
    cat.add_folder(folder)
    return Indexer(cat, embedder, ThumbnailCache(tmp_path / "thumbs"), batch_size=8, **kw)


# Lanes (each thread decodes and encodes its own batches: ONNX Runtime on the CPU) and one
# encoder fed by a decode pool (GPUs, torch on the CPU) must index alike.
both = pytest.mark.parametrize("lanes", [2, 1], ids=["lanes", "pooled"])


@both
def test_index_embeds_every_photo_then_nothing_on_the_second_run(tmp_path, embedder, shapes, lanes):
    idx = _indexer(tmp_path, embedder, shapes, lanes=lanes)
    seen = []
    first = idx.run(progress=seen.append)
    assert first.embedded == 36 and not first.failed
    embed = [p for p in seen if p.phase == "embed"]
    assert [p.done for p in embed] == sorted(p.done for p in embed) and embed[-1].done == 36
    assert embed[-1].total == 36 and embed[-1].rate > 0 and embed[-1].eta == 0
    assert idx.catalog.status_counts()["indexed"] == 36
    second = idx.run()
    assert second.embedded == 0 and second.scan.added == 0


def test_lanes_store_the_vectors_one_encoder_would(tmp_path, embedder, shapes):
    vectors = {}
    for lanes in (1, 2):
        (tmp_path / str(lanes)).mkdir()
        idx = _indexer(tmp_path / str(lanes), embedder, shapes, lanes=lanes)
        assert idx.lanes == lanes and idx.run().embedded == 36
        vectors[lanes] = {
            idx.catalog.photo(i).path: idx.catalog.embedding(i, idx.model_id)
            for (i,) in idx.catalog.conn.execute("SELECT id FROM photos")
        }
    assert vectors[1].keys() == vectors[2].keys()
    for path, v in vectors[1].items():
        np.testing.assert_allclose(vectors[2][path], v, atol=1e-5)


def test_thumbnails_are_made_in_the_same_pass(tmp_path, embedder, shapes):
    idx = _indexer(tmp_path, embedder, shapes)
    idx.run()
    cache = ThumbnailCache(tmp_path / "thumbs")
    rows = idx.catalog.conn.execute("SELECT hash FROM photos").fetchall()
    assert all(cache.has(h) for (h,) in rows)
    with Image.open(cache.path_for(rows[0][0])) as t:
        assert max(t.size) <= 256


def test_moved_photo_keeps_its_embedding(tmp_path, embedder, shapes):
    idx = _indexer(tmp_path, embedder, shapes)
    idx.run()
    src = sorted(shapes.glob("*.jpg"))[0]
    row = idx.catalog.photo_by_path(src)
    before = idx.catalog.embedding(row.id, idx.model_id)
    (shapes / "holiday").mkdir()
    dest = shapes / "holiday" / "renamed.jpg"
    shutil.move(src, dest)
    result = idx.run()
    assert result.scan.moved == 1 and result.embedded == 0
    moved = idx.catalog.photo_by_path(dest)
    assert moved.id == row.id
    np.testing.assert_array_equal(idx.catalog.embedding(moved.id, idx.model_id), before)


@both
def test_bad_files_are_reported_and_every_good_photo_is_indexed(tmp_path, embedder, shapes, lanes):
    (shapes / "empty.jpg").write_bytes(b"")
    (shapes / "notes.jpg").write_text("this is not a photo")
    good = sorted(shapes.glob("0*.jpg"))[0].read_bytes()
    (shapes / "truncated.jpg").write_bytes(good[: len(good) // 2])
    (shapes / "noise.png").write_bytes(np.random.default_rng(0).bytes(5000))
    (shapes / "garbage.nef").write_bytes(b"II*\x00" + bytes(200))
    idx = _indexer(tmp_path, embedder, shapes, lanes=lanes)
    result = idx.run()
    reasons = {p.rsplit("/", 1)[1]: r for p, r in result.failed}
    assert set(reasons) == {"empty.jpg", "notes.jpg", "truncated.jpg", "noise.png", "garbage.nef"}
    assert all(r and "\n" not in r for r in reasons.values())
    assert "empty" in reasons["empty.jpg"]
    assert result.embedded == 36
    counts = idx.catalog.status_counts()
    assert (counts["indexed"], counts["failed"]) == (36, 5)
    # A skipped file is not retried on every run, only once it changes.
    assert idx.run().failed == []


@both
def test_cancelled_run_resumes_without_redoing_work(tmp_path, embedder, shapes, lanes):
    idx = _indexer(tmp_path, embedder, shapes, lanes=lanes)
    cancel = threading.Event()

    def stop_after_first_batch(p):
        if p.phase == "embed" and p.done >= 8:
            cancel.set()

    first = idx.run(progress=stop_after_first_batch, cancel=cancel)
    assert first.cancelled and 8 <= first.embedded < 36
    second = idx.run()
    assert second.embedded == 36 - first.embedded
    assert idx.catalog.conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0] == 36


def test_a_failure_while_storing_stops_the_lanes_at_once(tmp_path, embedder, shapes):
    """A write that fails (here the progress report after the first batch) ends the run
    with its error, and leaves no lane decoding the rest of the library behind it."""
    idx = _indexer(tmp_path, embedder, shapes, lanes=2)
    real = idx._prepare

    def slow(*row):  # photos that take a while to decode, as 24 MP ones do
        time.sleep(0.05)
        return real(*row)

    idx._prepare = slow

    def boom(p):
        if p.phase == "embed":
            raise OSError(28, "No space left on device")

    try:
        idx.run(progress=boom)
    except OSError as exc:
        kept = exc  # as a caller reporting it does: its traceback keeps the run's frames
    assert "No space left" in str(kept)
    assert not [t for t in threading.enumerate() if t.name.startswith("clipdesk-lane")]
    assert idx.catalog.conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0] < 36


def test_rotated_photo_reports_displayed_size(tmp_path, embedder):
    folder = tmp_path / "p"
    folder.mkdir()
    img = Image.new("RGB", (120, 80), (200, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees on display
    img.save(folder / "portrait.jpg", exif=exif)
    idx = _indexer(tmp_path, embedder, folder)
    idx.run()
    row = idx.catalog.photo_by_path(folder / "portrait.jpg")
    assert (row.width, row.height, row.orientation) == (80, 120, 6)


def test_a_thumbnail_is_drawn_from_the_models_scaled_copy_where_it_is_large_enough(
    tmp_path, embedder
):
    """With a model that scales the shortest side (ViT-B-32's 224 px), the window's
    thumbnail pass makes the thumbnail from that scaled copy (as the indexer does), not
    from the decode again, and keeps the model's input for the indexer."""
    import dataclasses

    from clipdesk.embedding.preprocess import ImageTransform
    from clipdesk.imaging import decode
    from clipdesk.imaging.thumbnails import make_thumbnail
    from clipdesk.pipeline.decoded import DecodedCache, decode_ahead
    from clipdesk.pipeline.scanner import scan

    rng = np.random.default_rng(3)
    pixels = np.kron(rng.integers(0, 255, (80, 120, 3)), np.ones((10, 10, 1))).astype(np.uint8)
    folder = tmp_path / "photos"
    folder.mkdir()
    Image.fromarray(pixels).save(folder / "wide.jpg", quality=92)  # 1200 x 800
    shortest = dataclasses.replace(embedder, _preprocess=ImageTransform((224, 224)))
    d = decode(folder / "wide.jpg", min_side=256)
    expected_input, scaled = shortest.preprocess_scaled(d.image)
    assert scaled.size == (336, 224) and make_thumbnail(d.image, 256, scaled).size == (256, 171)

    cat = Catalog(tmp_path / "cat.sqlite3")
    cat.add_folder(folder)
    thumbs = ThumbnailCache(tmp_path / "thumbs")
    scan(cat)
    [(photo_id, path, hash_)] = cat.pending(cat.model_id(shortest.name, shortest.dim))
    cache = DecodedCache()
    assert decode_ahead((photo_id, path, hash_), thumbs, cache, shortest)
    made = thumbs.path_for(hash_).read_bytes()
    assert made == ThumbnailCache(tmp_path / "a").save(hash_, d.image, scaled).read_bytes()
    assert made != ThumbnailCache(tmp_path / "b").save(hash_, d.image).read_bytes()
    np.testing.assert_array_equal(cache.take(photo_id, hash_).pixels, expected_input)
