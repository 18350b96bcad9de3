"""Image-encoder throughput of torch CPU fp32 vs ONNX fp32 vs ONNX int8, and what int8 costs.

Run on ViT-B-32 with random weights (the production architecture) and on the project's
trained test model (``models/test``), with the same preprocessed batch for every
backend. For the test model also zero-shot accuracy over the 18 synthetic classes.
"""

from __future__ import annotations

import argparse

import numpy as np
from common import RANDOM_VIT, header, load, row, timer

from clipdesk.embedding import Embedder, ModelUnavailable
from clipdesk.embedding.registry import ModelSpec
from clipdesk.testing.synthetic import CLASSES, random_sample, random_size, render

BATCH = 16
KINDS = (
    ("torch CPU fp32", "cpu", False),
    ("ONNX fp32", "onnx", False),
    ("ONNX int8", "onnx", True),
)


def encode(emb: Embedder, pixels: np.ndarray) -> np.ndarray:
    return np.concatenate(
        [emb.encode_images(pixels[i : i + BATCH]) for i in range(0, len(pixels), BATCH)]
    )


def cosine(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(mean, min) row-wise cosine of two sets of unit vectors."""
    c = np.sum(a * b, axis=1)
    return float(c.mean()), float(c.min())


def zero_shot(emb: Embedder, pixels: np.ndarray, labels: np.ndarray) -> float:
    prompts = [f"a photo of a {colour} {shape}" for colour, shape in CLASSES]
    scores = encode(emb, pixels) @ emb.encode_texts(prompts).T
    return float(np.mean(scores.argmax(axis=1) == labels))


def bench(model: str | ModelSpec, title: str, n: int, n_zero_shot: int) -> None:
    print(f"-- {title}")
    embedders: dict[str, Embedder] = {}
    for label, backend, int8 in KINDS:
        with timer() as t:
            embedders[label] = load(model, backend, int8)
        row(f"load {label} (+ one-off export)", t[0], "s")
    preprocess = embedders["ONNX fp32"].preprocess
    rng = np.random.default_rng(3)
    images = [random_sample(rng, 160, 640).image for _ in range(n)]
    pixels = np.stack([preprocess(im) for im in images])
    print(f"   {n} images at {pixels.shape[-1]} px, batch {BATCH}, best of 2 passes")

    rates: dict[str, float] = {}
    vectors: dict[str, np.ndarray] = {}
    for emb in embedders.values():
        emb.encode_images(pixels[:BATCH])  # warm-up
    for _ in range(2):  # alternate backends, keep each one's best pass
        for label, emb in embedders.items():
            with timer() as t:
                vectors[label] = encode(emb, pixels)
            rates[label] = max(rates.get(label, 0.0), n / t[0])
    for label, rate in rates.items():
        row(f"{label}", rate, "img/s", f"{rate / rates['torch CPU fp32']:.2f}x torch")
    row("ONNX int8 / ONNX fp32 speed", rates["ONNX int8"] / rates["ONNX fp32"], "x")
    mean, low = cosine(vectors["ONNX fp32"], vectors["torch CPU fp32"])
    print(f"   cosine ONNX fp32 vs torch fp32:  mean {mean:.5f}  min {low:.5f}")
    mean, low = cosine(vectors["ONNX int8"], vectors["ONNX fp32"])
    print(f"   cosine ONNX int8 vs ONNX fp32:   mean {mean:.5f}  min {low:.5f}")

    if n_zero_shot:
        rng = np.random.default_rng(11)
        labels = np.arange(n_zero_shot) % len(CLASSES)
        shots = [render(*CLASSES[i], random_size(rng), rng).image for i in labels]
        pix = np.stack([preprocess(im) for im in shots])
        print(f"   zero-shot accuracy, {n_zero_shot} fresh images, {len(CLASSES)} classes:")
        for label, emb in embedders.items():
            print(f"     {label:<16} {100 * zero_shot(emb, pix, labels):6.1f} %")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer images")
    args = ap.parse_args()
    n = 32 if args.quick else 64
    header("backends: torch CPU fp32 vs ONNX fp32 vs ONNX int8")
    bench(RANDOM_VIT, "ViT-B-32, random weights", n, 0)
    print("   NOTE: with random weights the embeddings carry no meaning; the int8 cosine")
    print("   here may not represent a trained model's. The test model below is trained.")
    try:
        bench("test", "test model (trained, 64 px)", n, 180 if args.quick else 360)
    except ModelUnavailable as exc:
        print(f"-- test model skipped: {exc}")


if __name__ == "__main__":
    main()
