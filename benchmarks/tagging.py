"""Tagging quality and speed with the test model on freshly generated images.

    .venv/bin/python benchmarks/tagging.py [--quick] [--code DIR]

Prints first the four calibration regimes (a model that knows nothing with the default
vocabulary; the test model with the default vocabulary, with its own, and with both):
suggestions per photo, spurious ones (tags outside colours and shapes) per photo, and F1
on the colour and shape tags, through the real Tagger on a real catalog, for this code and
side by side for ``--code DIR`` (an older checkout, e.g. from ``git archive``).

Then: zero-shot F1 for the 18 colour-shape tags, the 6 colour tags and the 3 shape
tags; the learning curve of a badly-prompted tag ("warm", meant to catch red and
yellow shapes) after 1, 4, 8, 16 and 64 corrections chosen by the review queue
(uncertainty sampling) vs at random; the time to retrain one tag on 1,000
corrections; and the time to re-score 100k photos x 500 tags.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

if "--regimes-json" not in sys.argv:  # that run measures the code on PYTHONPATH (--code)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from clipdesk.embedding import load_embedder  # noqa: E402
from clipdesk.tagging import head as heads  # noqa: E402
from clipdesk.tagging.tagger import REFERENCE_PROMPTS  # noqa: E402
from clipdesk.testing.synthetic import CLASSES, COLOURS, SHAPES, random_size, render  # noqa: E402


def f1(pred: np.ndarray, truth: np.ndarray) -> float:
    tp = np.sum(pred & truth)
    return float(2 * tp / max(pred.sum() + truth.sum(), 1))


def embed_fresh(embedder, n: int, seed: int):
    rng = np.random.default_rng(seed)
    samples = [render(*CLASSES[i % 18], random_size(rng, 64, 500), rng) for i in range(n)]
    x = np.concatenate(
        [
            embedder.encode_images(
                np.stack([embedder.preprocess(s.image) for s in samples[i : i + 64]])
            )
            for i in range(0, n, 64)
        ]
    )
    return x, samples


def prior_for(embedder, prompts: list[str], ref: np.ndarray) -> heads.Head:
    t = embedder.encode_texts(prompts).mean(0)
    return heads.prior(t / np.linalg.norm(t), ref, embedder.logit_scale)


def zero_shot(embedder, x, samples, ref) -> None:
    groups = {
        "18 colour-shape tags": [
            (f"a photo of a {c} {s}", lambda o, c=c, s=s: (o.colour, o.shape) == (c, s))
            for c, s in CLASSES
        ],
        "6 colour tags": [(f"something {c}", lambda o, c=c: o.colour == c) for c in COLOURS],
        "3 shape tags": [(f"a photo of a {s}", lambda o, s=s: o.shape == s) for s in SHAPES],
    }
    for name, tags in groups.items():
        scores = []
        for prompt, is_true in tags:
            h = prior_for(embedder, [prompt], ref)
            pred = heads.sigmoid(h.logits(x)) >= 0.5
            truth = np.array([is_true(s) for s in samples])
            scores.append(f1(pred, truth))
        print(f"  zero-shot F1, {name}: mean {np.mean(scores):.3f} (min {np.min(scores):.3f})")


def learning_curve(embedder, x, samples, ref, runs: int, budgets=(1, 4, 8, 16, 64)) -> None:
    truth = np.array([s.colour in ("red", "yellow") for s in samples])
    start = prior_for(embedder, ["a photo of something warm"], ref)
    n = len(samples)
    half = n // 2  # first half: the pool to correct from; second half: held out
    test_x, test_y = x[half:], truth[half:]
    zs = f1(heads.sigmoid(start.logits(test_x)) >= 0.5, test_y)
    print(f"  'warm' zero-shot F1 on held-out: {zs:.3f}")
    print(f"  {'corrections':>12} {'review queue':>13} {'random':>8}")
    for budget in budgets:
        out = {}
        for strategy in ("review", "random"):
            results = []
            for run in range(runs):
                rng = np.random.default_rng(run)
                labelled: list[int] = []
                h = start
                while len(labelled) < budget:
                    pool = np.setdiff1d(np.arange(half), labelled)
                    if strategy == "random":
                        pick = int(rng.choice(pool))
                    else:  # the review queue: the least certain undecided photo
                        pick = int(pool[np.argmin(np.abs(h.logits(x[pool])))])
                    labelled.append(pick)
                    h = heads.train(x[labelled], truth[labelled].astype(float), start)
                results.append(f1(heads.sigmoid(h.logits(test_x)) >= 0.5, test_y))
            out[strategy] = np.mean(results)
        print(f"  {budget:>12} {out['review']:>13.3f} {out['random']:>8.3f}")


def retrain_time(dim: int) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1000, dim)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    y = (x[:, 0] > 0).astype(float)
    start = heads.Head(rng.normal(size=dim).astype(np.float32), 0.0)
    t = time.perf_counter()
    heads.train(x, y, start)
    train_s = time.perf_counter() - t
    t = time.perf_counter()
    heads.cross_validate(x, y, start, 0.5)
    cv_s = time.perf_counter() - t
    print(
        f"  retrain one tag on 1,000 corrections (dim {dim}): {train_s * 1000:.0f} ms "
        f"(+ {cv_s * 1000:.0f} ms for 5-fold held-out precision/recall)"
    )


def rescore_time(n_photos: int, n_tags: int, dim: int) -> None:
    """Tagger.rescore over a real catalog: n_photos embeddings x n_tags tags."""
    from clipdesk.catalog import Catalog
    from clipdesk.tagging.store import TagStore
    from clipdesk.tagging.tagger import Tagger, _prompts_key

    class FakeText:  # the 500 tag vectors come from random prompts' "embeddings"
        name, logit_scale = "bench", 100.0

        def __init__(self, dim: int):
            self.dim = dim

        def encode_texts(self, texts):
            rng = np.random.default_rng(abs(hash(tuple(texts))) % 2**32)
            v = rng.normal(size=(len(texts), self.dim)).astype(np.float32)
            return v / np.linalg.norm(v, axis=1, keepdims=True)

    rng = np.random.default_rng(1)
    text = FakeText(dim)
    tag_vecs = text.encode_texts([f"prompt {i}" for i in range(n_tags)])
    with tempfile.TemporaryDirectory() as tmp:
        cat = Catalog(Path(tmp) / "c.sqlite3")
        folder = cat.add_folder(tmp)
        model_id = cat.model_id("bench", dim)
        with cat.transaction():
            for i in range(n_photos):
                pid = cat.insert_photo(folder, f"{tmp}/{i}.jpg", 1, 1, f"h{i}")
                cat.set_decoded(pid, 1, 1, 1, None)
                # Like a real photo: close to the vectors of a few of its tags.
                mine = rng.choice(n_tags, 3, replace=False)
                v = tag_vecs[mine].sum(0) + rng.normal(scale=0.04, size=dim)
                cat.put_embedding(pid, model_id, (v / np.linalg.norm(v)).astype(np.float32))
        store = TagStore(cat)
        with cat.transaction():
            for i in range(n_tags):
                store.update(store.ensure(f"tag {i}"), prompts=[f"prompt {i}"])
        tagger = Tagger(cat, lambda: text, "bench")  # loaded only for uncached vectors
        tagger.tag_vectors(store.all())  # text encoding is cached per prompt set
        # Learned heads that pick each photo's own tags (about 3 suggestions a photo, as in a
        # real library), written where Tagger reads them.
        with cat.transaction():
            for i, tag in enumerate(store.all()):
                key = _prompts_key("bench", tag.spec().effective_prompts())
                cat.conn.execute(
                    "INSERT INTO heads VALUES (?, ?, ?, ?, 0, 1, 1, ?)",
                    (
                        tag.id,
                        model_id,
                        (20 * tag_vecs[i]).astype(np.float32).tobytes(),
                        -6.0,
                        json.dumps({"prompts_key": key}),
                    ),
                )
        ids, x = cat.embedding_matrix(model_id)
        w, b = tagger.weights(store.all())
        t = time.perf_counter()
        for s in range(0, len(x), 8192):
            heads.sigmoid(x[s : s + 8192] @ w.T + b)
        matmul_s = time.perf_counter() - t
        t = time.perf_counter()
        first = tagger.rescore()
        first_s = time.perf_counter() - t
        t = time.perf_counter()
        tagger.rescore()
        again_s = time.perf_counter() - t
        print(
            f"  score {n_photos:,} photos x {n_tags} tags (matrix product + threshold): "
            f"{matmul_s:.2f} s"
        )
        print(
            f"  Tagger.rescore, first run ({first.added:,} suggestions written): {first_s:.2f} s;"
            f" unchanged re-run: {again_s:.2f} s"
        )
        cat.close()


REGIMES = (
    ("random", "default", "a model that knows nothing, default vocabulary"),
    ("test", "default", "test model, a vocabulary it does not know (default)"),
    ("test", "test", "test model, its own vocabulary"),
    ("test", "mixed", "test model, its own vocabulary and the default one"),
)


def regime_figures(n: int, seed: int) -> list[dict]:
    """Run the regimes with whichever clipdesk is on sys.path (this checkout or --code)."""
    from clipdesk.catalog import Catalog
    from clipdesk.tagging.store import TagStore
    from clipdesk.tagging.tagger import Tagger
    from clipdesk.tagging.vocabulary import DEFAULT_VOCABULARY, TEST_MODEL_VOCABULARY

    cache = Path(__file__).resolve().parent / "_data" / "tagging"
    models = {"random": str(cache / "random-ViT-B-32"), "test": "test"}
    known = {c for c in COLOURS} | set(SHAPES)
    out = []
    embedded: dict[str, tuple] = {}
    for model, vocab, label in REGIMES:
        if model not in embedded:
            e = load_embedder(
                models[model], backend="onnx", weights_dir=cache / "w", onnx_dir=cache / "onnx"
            )
            embedded[model] = (e, *embed_fresh(e, n, seed))
        e, x, samples = embedded[model]
        with tempfile.TemporaryDirectory() as tmp:
            cat = Catalog(Path(tmp) / "c.sqlite3")
            folder = cat.add_folder(tmp)
            model_id = cat.model_id(e.name, e.dim)
            with cat.transaction():
                for i, v in enumerate(x):
                    pid = cat.insert_photo(folder, f"{tmp}/{i}.jpg", 1, 1, f"h{i}")
                    cat.set_decoded(pid, 1, 1, 1, None)
                    cat.put_embedding(pid, model_id, v)
            store = TagStore(cat)
            files = {
                "default": [DEFAULT_VOCABULARY],
                "test": [TEST_MODEL_VOCABULARY],
                "mixed": [TEST_MODEL_VOCABULARY, DEFAULT_VOCABULARY],
            }[vocab]
            for f in files:
                store.import_file(f)
            Tagger(cat, e).rescore()
            rows = cat.conn.execute(
                "SELECT pt.photo_id, t.name FROM photo_tags pt JOIN tags t ON t.id = pt.tag_id "
                "WHERE pt.state = 'suggested'"
            ).fetchall()
            cat.close()
        truth = {i + 1: {samples[i].colour, samples[i].shape} for i in range(n)}
        said = [(p, name.lower()) for p, name in rows]
        ours = [(p, w) for p, w in said if w in known]
        tp = sum(w in truth[p] for p, w in ours)
        f1_known = 2 * tp / max(len(ours) + 2 * n, 1) if vocab != "default" else None
        out.append(
            {
                "regime": label,
                "per_photo": len(said) / n,
                "spurious": (len(said) - len(ours)) / n,
                "f1": f1_known,
            }
        )
    return out


def print_regimes(n: int, seed: int, codes: list[str]) -> None:
    import subprocess

    from clipdesk.testing.synthetic import random_clip_folder

    random_clip_folder(Path(__file__).resolve().parent / "_data" / "tagging" / "random-ViT-B-32")
    print(f"calibration regimes on {n} fresh photos (suggestions per photo; F1 on colours+shapes)")
    results = {"this code": regime_figures(n, seed)}
    for code in codes:
        cmd = [sys.executable, __file__, "--regimes-json", "--photos", str(n), "--seed", str(seed)]
        env = {**os.environ, "PYTHONPATH": str(Path(code).resolve())}
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
        results[code] = json.loads(done.stdout.strip().splitlines()[-1])
    names = list(results)
    print(f"  {'regime':56s}" + "".join(f" {n[:22]:>24s}" for n in names))
    for i, (_, _, label) in enumerate(REGIMES):
        cells = []
        for name in names:
            r = results[name][i]
            f = "" if r["f1"] is None else f" F1 {r['f1']:.3f}"
            cells.append(f"{r['per_photo']:5.2f} ({r['spurious']:.2f} sp){f}")
        print(f"  {label:56s}" + "".join(f" {c:>24s}" for c in cells))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--photos", type=int, default=108, help="photos per calibration regime")
    ap.add_argument("--code", action="append", default=[], help="an older checkout to compare")
    ap.add_argument("--seed", type=int, default=7, help="the regimes' photos")
    ap.add_argument("--regimes-only", action="store_true")
    ap.add_argument("--regimes-json", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.regimes_json:
        print(json.dumps(regime_figures(args.photos, args.seed)))
        return
    print_regimes(args.photos, args.seed, args.code)
    if args.regimes_only:
        return
    n, runs = (360, 2) if args.quick else (1440, 5)
    photos = 20_000 if args.quick else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        embedder = load_embedder(
            "test", backend="onnx", weights_dir=Path(tmp), onnx_dir=Path(tmp) / "onnx"
        )
        ref = embedder.encode_texts(list(REFERENCE_PROMPTS)).mean(0)
        ref /= np.linalg.norm(ref)
        x, samples = embed_fresh(embedder, n, seed=99)
        print(f"test model on {n} fresh images ({embedder.backend})")
        zero_shot(embedder, x, samples, ref)
        print(f"badly-prompted tag, mean of {runs} runs:")
        learning_curve(embedder, x, samples, ref, runs)
    print("speed:")
    retrain_time(512)
    rescore_time(photos, 500, 512)


if __name__ == "__main__":
    main()
