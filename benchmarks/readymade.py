"""Ready-made exports (clipdesk/embedding/readymade.py) against ClipDesk's own export of the
same weights: open_clip's ViT-B-32-256 with random weights (the recommended model's
architecture: 256 px, 77 tokens), exported once as rclip exports it (visual.onnx,
textual.onnx: tests/support/readymade_exports.py) and once by ClipDesk (onnx_export.py).

Prints the smallest cosine between the two on photos and prompts, the time to install the
ready-made export (the text graph made to take any length: text_length.py), and, alternating,
64 prompts and single queries through ClipDesk's export, the ready-made export as installed,
and rclip's text graph as downloaded (every query 77 positions). Needs torch and open_clip.

    python benchmarks/readymade.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PROMPTS = [f"a photo of a {w}" for w in ("dog", "cat", "beach", "mountain", "car", "house",
                                         "tree", "red circle")] * 8  # fmt: skip
QUERIES = ["red circle", "dog on a beach", "mountain lake at dawn"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from PIL import Image

    from clipdesk.embedding import onnx_export, readymade
    from clipdesk.embedding.onnx_runtime import onnx_embedder
    from clipdesk.embedding.registry import parse_model
    from clipdesk.testing.synthetic import write_folder
    from tests.support.readymade_exports import random_vit_b_32_256, rclip_files

    work = Path(tempfile.mkdtemp(prefix="readymade-bench-"))
    model = random_vit_b_32_256()
    own = work / "own"
    tokenizer = {"kind": "clip-bpe", "clean": "lower", "context_length": 77}
    cfg = dict(model.visual.preprocess_cfg)
    onnx_export.export(model, 256, 77, cfg, own, tokenizer=tokenizer, weights_sha256="random")
    rclip_files(work / "rclip", model)

    source = readymade.RCLIP
    found = {source.image.path: work / "rclip" / "visual.onnx",
             source.text.path: work / "rclip" / "textual.onnx"}  # fmt: skip
    t = time.perf_counter()
    folder = work / "installed"
    readymade._write(source, found, "random", folder)
    install_s = time.perf_counter() - t
    fixed = work / "fixed"
    readymade._write(source, found, "random", fixed)
    meta = json.loads((fixed / onnx_export.META_FILE).read_text())
    (fixed / "text.onnx").unlink()
    (fixed / "text.onnx.data").unlink(missing_ok=True)
    (fixed / "text.onnx").symlink_to(found[source.text.path])
    meta["text_dynamic_length"] = False
    (fixed / onnx_export.META_FILE).write_text(json.dumps(meta))

    spec = parse_model("ViT-B-32-256:datacomp_s34b_b86k", check=False)
    engines = {
        "ClipDesk's export": onnx_embedder(spec, own, work, False, None),
        "ready-made, installed": onnx_embedder(spec, folder, work, False, None),
        "ready-made, as downloaded (77 positions)": onnx_embedder(spec, fixed, work, False, None),
    }
    write_folder(work / "photos", 12, seed=3)
    images = [Image.open(p).convert("RGB") for p in sorted((work / "photos").glob("*.jpg"))]
    ours = engines["ClipDesk's export"]
    ref_t = ours.encode_texts(PROMPTS)
    ref_i = ours.encode_images(np.stack([ours.preprocess(i) for i in images]))
    for name, e in list(engines.items())[1:]:
        texts = float(np.min(np.sum(e.encode_texts(PROMPTS) * ref_t, axis=1)))
        ims = e.encode_images(np.stack([e.preprocess(i) for i in images]))
        print(f"{name}: smallest cosine to ClipDesk's export: texts {texts:.7f}, "
              f"images {float(np.min(np.sum(ims * ref_i, axis=1))):.7f}")  # fmt: skip
    print(f"install (text graph made to take any length, checked): {install_s:.1f} s")

    times: dict[str, list[float]] = {n: [] for n in engines}
    queries: dict[str, list[float]] = {n: [] for n in engines}
    for _ in range(args.rounds):
        for name, e in engines.items():
            e._recent.clear()
            t = time.perf_counter()
            e.encode_texts(PROMPTS)
            times[name].append(time.perf_counter() - t)
            for q in QUERIES:
                e._recent.clear()
                t = time.perf_counter()
                e.encode_texts([q])
                queries[name].append(time.perf_counter() - t)
    for name in engines:
        print(f"{name}: 64 prompts median {statistics.median(times[name]):.2f} s "
              f"(runs {', '.join(f'{x:.2f}' for x in times[name])}); one query median "
              f"{statistics.median(queries[name]) * 1000:.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
