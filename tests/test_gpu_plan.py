"""The GPU ingest path on the CPU: which decode path and batch size each backend gets (with
injected availability), and the device decode/preprocess code run on torch's CPU device.
No test here needs a GPU."""

from __future__ import annotations

import dataclasses
import os
import shutil

import numpy as np
import pytest
from PIL import Image

from clipdesk.embedding import choose_backend
from clipdesk.embedding.gpu import GPU_BATCH, INT8_BATCH, IngestPlan, orient, plan_ingest

LABELS = {"cuda": "cuda-fp16", "mps": "mps", "onnx": "onnx-cpu"}


def _never() -> bool:
    raise AssertionError("the nvJPEG probe must only be asked on CUDA")


@pytest.mark.parametrize(
    ("cuda", "mps", "nvjpeg", "expected"),
    [
        (True, False, True, IngestPlan("cuda-fp16", "nvjpeg", GPU_BATCH["cuda"], True)),
        (True, True, False, IngestPlan("cuda-fp16", "cpu", GPU_BATCH["cuda"], True)),
        (False, True, None, IngestPlan("mps", "cpu", GPU_BATCH["mps"], False)),
        (False, False, None, IngestPlan("onnx-cpu", "cpu", 16, False)),
    ],
)
def test_each_backend_gets_its_decode_path_and_batch_size(cuda, mps, nvjpeg, expected):
    label = LABELS[choose_backend("auto", cuda, mps)]
    probe = _never if nvjpeg is None else (lambda: nvjpeg)
    assert plan_ingest(label, 16, probe) == expected


def test_a_larger_configured_batch_is_kept_and_int8_stays_on_the_cpu_path():
    assert plan_ingest("cuda-fp16", 256, lambda: True).batch_size == 256
    assert plan_ingest("onnx-cpu-int8", 32, _never) == IngestPlan("onnx-cpu-int8", "cpu", 32, False)
    # the default CPU batch (8) for fp32; int8 batches at least INT8_BATCH when one encoder
    # takes every core, and 8 in lanes (one batch per core)
    assert plan_ingest("onnx-cpu", 8, _never).batch_size == 8
    assert plan_ingest("onnx-cpu-int8", 8, _never).batch_size == INT8_BATCH == 16
    assert plan_ingest("onnx-cpu-int8", 8, _never, lanes=2).batch_size == 8
    assert plan_ingest("torch-cpu", 16, _never).decode == "cpu"


def test_the_indexer_follows_the_plan(embedder, tmp_path):
    from clipdesk.catalog import Catalog
    from clipdesk.indexer import Indexer

    catalog = Catalog(tmp_path / "c.sqlite3")
    onnx = Indexer(catalog, embedder, batch_size=16)
    assert (onnx.plan.decode, onnx.batch_size, onnx.device) == ("cpu", 16, None)
    gpu = Indexer(catalog, _fake_cuda(embedder), batch_size=16)
    assert (gpu.plan.decode, gpu.batch_size) == ("nvjpeg", GPU_BATCH["cuda"])
    assert gpu.device is not None
    no_nvjpeg = dataclasses.replace(_fake_cuda(embedder), device_images=None)
    assert Indexer(catalog, no_nvjpeg).plan.decode == "cpu"
    catalog.close()


torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orient_turns_a_tensor_as_pil_turns_the_image(orientation):
    from clipdesk.imaging.metadata import apply_orientation

    rng = np.random.default_rng(orientation)
    arr = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    expected = np.asarray(apply_orientation(Image.fromarray(arr), orientation))
    got = orient(torch.from_numpy(arr).permute(2, 0, 1), orientation).permute(1, 2, 0).numpy()
    assert np.array_equal(got, expected)


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
    from clipdesk.indexer import Indexer

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
