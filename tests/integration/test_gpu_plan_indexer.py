"""The GPU ingest path on the CPU, with the test model: the indexer follows the plan, the
device preprocessing stays close to the CPU transform, and device JPEG decoding falls back
to the CPU. No test here needs a GPU."""

from __future__ import annotations

import dataclasses
import os
import shutil

import numpy as np
import pytest
from PIL import Image

from clipdesk.embedding.gpu import GPU_BATCH


def test_the_indexer_follows_the_plan(embedder, tmp_path):
    from clipdesk.catalog import Catalog
    from clipdesk.pipeline.indexer import Indexer

    catalog = Catalog(tmp_path / "c.sqlite3")
    onnx = Indexer(catalog, embedder, batch_size=16)
    assert (onnx.plan.decode, onnx.batch_size, onnx.device) == ("cpu", 16, None)
    gpu = Indexer(catalog, _fake_cuda(embedder), batch_size=16)
    assert (gpu.plan.decode, gpu.batch_size) == ("nvjpeg", GPU_BATCH["cuda"])
    assert gpu.device is not None
    no_nvjpeg = dataclasses.replace(_fake_cuda(embedder), device_images=None)
    assert Indexer(catalog, no_nvjpeg).plan.decode == "cpu"
    catalog.close()


pytest.importorskip("torchvision")


def _fake_cuda(embedder):
    """The test model with a "cuda-fp16" label and device decode on torch's CPU device."""
    from clipdesk.embedding.gpu import DeviceImages

    t = embedder._preprocess
    images = DeviceImages("cpu", embedder.image_size, t.mean, t.std, resize_mode=t.resize_mode)
    return dataclasses.replace(
        embedder,
        backend="cuda-fp16",
        device_images=images,
        _encode_device=lambda batch: embedder._encode_images(batch.numpy()),
    )


def test_device_preprocessing_stays_close_to_the_cpu_transform(embedder, shapes_dir):
    from clipdesk.imaging import decode, read_jpeg

    fake = _fake_cuda(embedder)
    paths = sorted(shapes_dir.iterdir())[:12]
    blobs = [read_jpeg(p)[0] for p in paths]
    images = fake.device_images.decode(blobs)
    on_device = [fake.device_images.prepare(im, 1) for im in images]
    host = np.stack([embedder.preprocess(decode(p, min_side=256).image) for p in paths])
    dev = fake.device_images.batch([x for x, _ in on_device]).numpy()
    assert dev.shape == host.shape
    cos = np.sum(embedder.encode_images(dev) * embedder.encode_images(host), axis=1)
    assert cos.min() > 0.99
    assert all(max(thumb.size) <= 256 for _, thumb in on_device)


def test_the_indexer_decodes_jpegs_on_the_device_and_falls_back_to_the_cpu(
    embedder, shapes, tmp_path
):
    from clipdesk.catalog import Catalog
    from clipdesk.imaging import ThumbnailCache
    from clipdesk.pipeline.indexer import Indexer

    names = sorted(os.listdir(shapes))
    Image.open(shapes / names[0]).save(shapes / "as.png")  # not a JPEG: CPU decode
    shutil.copy(shapes / names[1], shapes / "progressive.jpg")
    Image.open(shapes / names[1]).save(shapes / "progressive.jpg", progressive=True)
    (shapes / "broken.jpg").write_bytes((shapes / names[2]).read_bytes()[:200])  # header cut
    progressive = (shapes / "progressive.jpg").read_bytes()
    calls = []
    fake = _fake_cuda(embedder)
    decode_batch = fake.device_images.decode

    def recording(blobs):
        calls.append(len(blobs))
        out = decode_batch(blobs)
        # As if the device could not decode this one: it must go through the CPU decode.
        return [None if b == progressive else im for b, im in zip(blobs, out, strict=True)]

    fake.device_images.decode = recording
    catalog = Catalog(tmp_path / "c.sqlite3")
    catalog.add_folder(shapes)
    thumbs = ThumbnailCache(tmp_path / "thumbs")
    result = Indexer(catalog, fake, thumbs).run()
    assert result.embedded == 36 + 2 and [p for p, _ in result.failed] == [
        str(shapes / "broken.jpg")
    ]
    assert sum(calls) == 36 + 1 and max(calls) > 1  # the readable JPEGs, in batches
    hashes = [h for _, _, h in catalog.conn.execute("SELECT id, path, hash FROM photos")]
    assert sum(thumbs.has(h) for h in hashes) == 36 + 2
    catalog.close()
