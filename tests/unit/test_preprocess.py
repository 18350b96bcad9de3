"""The numpy/PIL image transform equals open_clip's own transform tensor."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from clipdesk.embedding.preprocess import ImageTransform

# Sizes (width, height): tiny, square, landscape, portrait, panoramic and very tall.
SIZES = [
    (1, 1),
    (3, 5),
    (5, 3),
    (17, 17),
    (64, 64),
    (63, 65),
    (224, 224),
    (225, 224),
    (300, 200),
    (200, 300),
    (641, 479),
    (1024, 683),
    (2000, 150),
    (150, 2000),
    (4000, 97),
    (97, 1500),
]
CONFIGS = [
    {"size": 64, "interpolation": "bicubic", "resize_mode": "squash"},  # the test model
    {"size": 224},  # open_clip's defaults: shortest edge, bicubic, OpenAI mean/std
    {"size": 256, "interpolation": "bilinear", "resize_mode": "shortest", "mean": [0.5] * 3},
    {"size": 224, "interpolation": "bicubic", "resize_mode": "longest", "fill_color": 0},
    {"size": 192, "interpolation": "bilinear", "resize_mode": "longest", "fill_color": 128},
    {"size": [224, 256], "resize_mode": "shortest"},  # non-square: ResizeKeepRatio + crop
    {"size": [160, 96], "interpolation": "bilinear", "resize_mode": "squash"},
]


def _photo(width: int, height: int, seed: int, mode: str = "RGB") -> Image.Image:
    """Noise over gradients in every channel: content that resampling cannot flatten."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    grad = np.stack(
        [x / max(width, 1), y / max(height, 1), (x + y) / max(width + height, 1)], axis=-1
    )
    noise = rng.normal(0.0, 0.25, (height, width, 3))
    pixels = np.clip((grad * 0.7 + noise + 0.15) * 255, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels, "RGB").convert(mode)


def _open_clip_transform(cfg: dict):
    from open_clip.transform import PreprocessCfg, image_transform_v2

    return image_transform_v2(PreprocessCfg(**cfg), is_train=False)


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: f"{c['size']}-{c.get('resize_mode')}")
def test_matches_open_clip_transform(cfg):
    ours, theirs = ImageTransform.from_cfg(cfg), _open_clip_transform(cfg)
    worst = 0.0
    for i, (w, h) in enumerate(SIZES):
        image = _photo(w, h, seed=i)
        expected = theirs(image).numpy()
        got = ours(image)
        assert got.dtype == np.float32 and got.shape == expected.shape, (w, h)
        worst = max(worst, float(np.abs(got - expected).max()))
    assert worst <= 1e-3, f"max abs difference {worst}"


@pytest.mark.parametrize("mode", ["L", "RGBA", "CMYK"])
def test_non_rgb_images_match_too(mode):
    cfg = {"size": 224, "resize_mode": "longest", "fill_color": 0}
    ours, theirs = ImageTransform.from_cfg(cfg), _open_clip_transform(cfg)
    for i, (w, h) in enumerate([(300, 200), (3, 5), (2000, 150)]):
        image = _photo(w, h, seed=100 + i, mode=mode)
        np.testing.assert_allclose(ours(image), theirs(image).numpy(), atol=1e-3)


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: f"{c['size']}-{c.get('resize_mode')}")
def test_the_scaled_copy_is_the_whole_picture_and_changes_nothing(cfg):
    """``with_scaled`` (the indexer draws thumbnails from its copy) gives the same model
    input, and its copy shows the whole picture at the transform's scale, shape kept."""
    ours = ImageTransform.from_cfg(cfg)
    for i, (w, h) in enumerate(SIZES):
        image = _photo(w, h, seed=200 + i)
        pixels, scaled = ours.with_scaled(image)
        np.testing.assert_array_equal(pixels, ours(image))
        if ours.resize_mode == "squash":
            assert scaled is None
            continue
        sw, sh = scaled.size
        # one scale s puts both sides within a pixel: the same shape, up to whole pixels
        low, high = max((sw - 1) / w, (sh - 1) / h), min((sw + 1) / w, (sh + 1) / h)
        assert low <= high, (w, h, scaled.size)
        th, tw = ours.size
        if ours.resize_mode == "shortest":  # the crop cuts from it
            assert sw >= tw and sh >= th and (sw == tw or sh == th), (w, h, scaled.size)
        else:  # "longest": it fits, padded to the input
            assert sw <= tw and sh <= th and (sw == tw or sh == th), (w, h, scaled.size)


@pytest.mark.parametrize("size", [(224, 224), (256, 192), (1, 7)])
def test_normalising_is_torchvisions_arithmetic_bit_for_bit(size):
    """ToTensor then Normalize, as one float32 expression over the whole HWC array (what
    torchvision computes), equals the channel-by-channel version exactly: the vectors in a
    catalog do not move by a bit when this code path changes."""
    rng = np.random.default_rng(sum(size))
    image = Image.fromarray(rng.integers(0, 256, (*size, 3), dtype=np.uint8))
    t = ImageTransform(size, mean=(0.1, 0.5, 0.9), std=(0.3, 0.2, 0.7), resize_mode="squash")
    pixels = np.asarray(image, dtype=np.float32) / np.float32(255.0)
    mean, std = np.float32(t.mean), np.float32(t.std)
    expected = ((pixels - mean) / std).transpose(2, 0, 1)
    got = t(image)
    assert got.dtype == np.float32 and got.flags["C_CONTIGUOUS"]
    assert np.array_equal(got, expected)
