"""The text stage's cost (issue 30): at most +15% ingest CPU on a library where one photo in
ten holds text.

Per 24 MP JPEG, CPU seconds on one thread (ONNX Runtime on one intra-op thread):

* ingest: the indexer's reduced decode, preprocess, thumbnail and the image encoder
  (ViT-B-32, random weights, fp32, batch 16), as ``ingest.py`` measures them;
* the text stage, each part apart: the two judges of ``clipdesk/text/likeness.py`` (CLIP's
  score of the stored embedding against the prompts; the letter measure on the thumbnail),
  and a read (the reduced decode again, then the OCR) of a photo with words and of one
  without (a judge's false alarm).

Then the stage per photo of a library where 10% of the photos hold words, as a share of
ingest: with the CLIP judge (taken to pass the photos with words, and ``--false-alarms`` of
the others: a real model cannot be measured offline), with the letter measure (its passes
on these photos, measured), and with no judge (every photo read), for comparison. The
photos with words are photo-like backgrounds with a sign in Pillow's font, its capitals
1.5-4% of the photo's height (readable at the 750x500 decode).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from statistics import median

import numpy as np
from common import DATA, RANDOM_VIT, header, load, photo_like, photos, row, warm_page_cache
from PIL import Image, ImageDraw, ImageFont

from clipdesk.imaging import ThumbnailCache, decode
from clipdesk.pipeline.text_step import DECODE_SIDE
from clipdesk.text import TextReader, clip_likeness, looks_like_text, prompt_vectors

THUMB = 256
TEXT_DIR = DATA / "photos-24mp-text"
WORDS = ("OPEN 24 HOURS", "Fresh croissants", "MENU du jour", "Platform 9 Exit", "Hotel Central")


def text_photos(n: int) -> list[Path]:
    """``n`` photo-like 24 MP JPEGs with a sign on each, made once."""
    TEXT_DIR.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        path = TEXT_DIR / f"sign_{i:03d}.jpg"
        if not path.is_file():
            rng = np.random.default_rng(2000 + i)
            im = photo_like(rng)
            draw = ImageDraw.Draw(im)
            size = int(rng.integers(90, 220))  # font size: capitals 65-160 px of 4000
            x, y = int(rng.integers(200, 1500)), int(rng.integers(400, 3200))
            pad = size // 3
            words = WORDS[i % len(WORDS)]
            font = ImageFont.load_default(size=size)
            box = draw.textbbox((x, y), words, font=font)
            draw.rectangle([box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad], (240,) * 3)
            draw.text((x, y), words, font=font, fill=(20, 20, 20))
            tmp = path.with_suffix(".tmp")
            im.rotate(float(rng.uniform(-4, 4)), resample=Image.Resampling.BICUBIC).save(
                tmp, "JPEG", quality=90
            )
            os.replace(tmp, path)
        out.append(path)
    return out


def per_photo(fn, items) -> list[float]:
    """CPU seconds of ``fn(item)`` on this thread, per item."""
    return timed(fn, items)[0]


def timed(fn, items) -> tuple[list[float], list]:
    """(CPU seconds per item, results) of ``fn(item)`` on this thread."""
    costs, results = [], []
    for item in items:
        t0 = time.thread_time()
        results.append(fn(item))
        costs.append(time.thread_time() - t0)
    return costs, results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=40, help="photos in the library (40; 10%% signs)")
    ap.add_argument("--false-alarms", type=float, default=0.05, help="CLIP's, assumed (0.05)")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    n_text = max(1, args.n // 10)
    header(f"text stage: {args.n} x 24 MP JPEGs, {n_text} with words, ViT-B-32 random weights")
    plain, signs = photos(args.n - n_text), text_photos(n_text)
    warm_page_cache(plain + signs)
    emb = load(RANDOM_VIT, "onnx", threads=1)
    reader = TextReader()
    prompts = prompt_vectors(emb.encode_texts, emb.logit_scale)
    reader.read(decode(signs[0], min_side=DECODE_SIDE).image)  # open the OCR's sessions
    print(
        f"   the model's evidence for the text-like words: {prompts.evidence:.1f} "
        f"(it sees them from 5.0: {'yes' if prompts.model_sees_text else 'no'})"
    )
    with tempfile.TemporaryDirectory(prefix="clipdesk-text-") as tmp:
        thumbs = ThumbnailCache(Path(tmp), THUMB)
        side = max(emb.image_size, THUMB)
        rounds: dict[str, list[float]] = {}
        passes: list[bool] = []
        right = 0
        sample = plain[:8] + signs
        for r in range(args.rounds):
            vectors, costs = [], {}

            def ingest_decode(i_p):
                i, p = i_p
                d = decode(p, min_side=side)
                px, scaled = emb.preprocess_scaled(d.image)
                thumbs.save(f"{i:032x}", d.image, scaled)
                return px

            costs["decode, preprocess, thumbnail"], pixels = timed(ingest_decode, enumerate(sample))
            batch = np.stack(pixels)
            t0 = time.thread_time()
            for i in range(0, len(batch), 16):
                vectors.append(emb.encode_images(batch[i : i + 16]))
            costs["model (batch 16)"] = [(time.thread_time() - t0) / len(batch)]
            vectors = np.concatenate(vectors)
            costs["judge: CLIP's score of the embedding"] = per_photo(
                lambda v: clip_likeness(v, prompts), vectors
            )

            def letters(i):
                with Image.open(thumbs.path_for(f"{i:032x}")) as t:
                    return looks_like_text(np.asarray(t.convert("L")))

            costs["judge: letters in the thumbnail"] = per_photo(letters, range(len(sample)))
            if r == 0:
                passes = [letters(i) for i in range(len(sample))]

            def read(p):
                return reader.read(decode(p, min_side=DECODE_SIDE).image)

            costs["read a photo with words (decode + OCR)"], texts = timed(read, signs)
            if r == 0:
                right = sum(t == WORDS[i % len(WORDS)] for i, t in enumerate(texts))
            costs["read a photo without (a false alarm)"] = per_photo(read, plain[:4])
            for name, values in costs.items():
                rounds.setdefault(name, []).append(median(values))
    cost = {k: median(v) for k, v in rounds.items()}
    print(f"-- CPU per photo, one thread, median of {args.rounds} rounds")
    for name, sec in cost.items():
        row(name, 1000 * sec, "ms")
    ingest = cost["decode, preprocess, thumbnail"] + cost["model (batch 16)"]
    row("ingest (decode ... model)", 1000 * ingest, "ms")
    words, alarm = (
        cost["read a photo with words (decode + OCR)"],
        cost["read a photo without (a false alarm)"],
    )
    n_plain = len(sample) - len(signs)
    found = sum(passes[n_plain:])
    alarms = sum(passes[:n_plain]) / n_plain
    print(f"   the OCR read {right} of {len(signs)} signs exactly")
    print(
        f"   the letter measure passed {found} of {len(signs)} photos with words and "
        f"{sum(passes[:n_plain])} of {n_plain} without"
    )
    share = 0.1
    library = {
        f"CLIP judge ({args.false_alarms:.0%} false alarms)": cost[
            "judge: CLIP's score of the embedding"
        ]
        + share * words
        + (1 - share) * args.false_alarms * alarm,
        "CLIP judge (no false alarm)": cost["judge: CLIP's score of the embedding"] + share * words,
        "letter measure (as measured here)": cost["judge: letters in the thumbnail"]
        + share * words * found / len(signs)
        + (1 - share) * alarms * alarm,
        "no judge (every photo read)": share * words + (1 - share) * alarm,
    }
    print("-- the text stage per photo of a library with words in 10% of photos, / ingest")
    for name, sec in library.items():
        row(name, 100 * sec / ingest, "%", f"({1000 * sec:.1f} ms per photo; budget 15%)")


if __name__ == "__main__":
    main()
