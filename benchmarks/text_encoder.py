"""Text-encoder time for one search query: all 77 positions vs only the ones it needs.

ViT-B-32 with random weights on ONNX Runtime (CPU). Compares, for the same queries:
(a) the fixed-length text graph (every query padded to 77 positions, as exported
before), (b) the variable-length graph fed all 77 positions, (c) the variable-length
graph fed up to the last end-of-text token (what ``Embedder.encode_texts`` does now),
and (d) a repeated query answered from the Embedder's recent-query cache.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from common import RANDOM_VIT, header, load, median, percentile, row, timer

QUERIES = [
    "dog",
    "a red car",
    "a photo of a dog on the beach",
    "birthday cake with candles",
    "a city at night in the rain, seen from above",
    "snow",
    "mountain lake at sunset",
    "wedding",
]


def _fixed_length_graph(folder: Path) -> Path:
    """The text graph as exported before: 77 positions, nn.MultiheadAttention traced."""
    import open_clip
    import torch

    from clipdesk.embedding import onnx_export

    torch.manual_seed(0)
    model = open_clip.create_model(RANDOM_VIT.open_clip_name)
    cfg = dict(model.visual.preprocess_cfg)
    onnx_export.export(model, 224, 77, cfg, folder, dynamic_length=False)
    return folder / "text.onnx"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5, help="timed runs of each query")
    args = ap.parse_args()
    import onnxruntime as ort

    header(f"text encoder, ViT-B-32 random weights, {len(QUERIES)} queries x {args.repeats}")
    emb = load(RANDOM_VIT, "onnx")
    assert emb.info["text_dynamic_length"], "the cached export predates variable length"
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    dynamic = ort.InferenceSession(f"{emb.info['onnx_folder']}/text.onnx", opts)
    with tempfile.TemporaryDirectory(prefix="clipdesk-bench-") as tmp:
        fixed = ort.InferenceSession(str(_fixed_length_graph(Path(tmp) / "fixed")), opts)
    tokens = [np.asarray(emb._tokenize([q]), np.int64) for q in QUERIES]
    lengths = [int(t.argmax()) + 1 for t in tokens]
    print(f"   positions needed per query: {lengths} (of 77)")

    def timed(fn) -> list[float]:
        fn(0)  # warm-up
        out = []
        for _ in range(args.repeats):
            for i in range(len(QUERIES)):
                with timer() as t:
                    fn(i)
                out.append(t[0])
        return out

    def uncached(i: int) -> None:
        emb._recent.clear()  # as for a query not asked in the last 256
        emb.encode_texts([QUERIES[i]])

    runs = {
        "(a) fixed graph, 77 positions (before)": timed(
            lambda i: fixed.run(None, {"tokens": tokens[i]})
        ),
        "(b) variable graph, 77 positions": timed(
            lambda i: dynamic.run(None, {"tokens": tokens[i]})
        ),
        "(c) variable graph, up to the EOT (now)": timed(
            lambda i: dynamic.run(None, {"tokens": tokens[i][:, : lengths[i]]})
        ),
        "    encode_texts, new query (tokenize + (c))": timed(uncached),
    }
    for q in QUERIES:  # (d) times queries asked before
        emb.encode_texts([q])
    runs["(d) encode_texts, repeated query (cache)"] = timed(
        lambda i: emb.encode_texts([QUERIES[i]])
    )
    a = fixed.run(None, {"tokens": np.concatenate(tokens)})[0]
    c = np.concatenate(
        [dynamic.run(None, {"tokens": t[:, :n]})[0] for t, n in zip(tokens, lengths, strict=True)]
    )
    ms = 1000.0
    print("-- latency per query (median / p95)")
    for label, times in runs.items():
        row(label, ms * median(times), "ms", f"p95 {ms * percentile(times, 95):.2f} ms")
    before, now = (
        median(runs["(a) fixed graph, 77 positions (before)"]),
        median(runs["(c) variable graph, up to the EOT (now)"]),
    )
    row("speed-up (a) / (c)", before / now, "x")
    print(f"   min cosine (c) vs (a): {float(np.min(np.sum(a * c, axis=1))):.7f}")


if __name__ == "__main__":
    main()
