"""Train ClipDesk's small test CLIP on synthetic coloured shapes.

    .venv/bin/python models/train_test_model.py            # writes models/test/

The result is an ordinary open_clip model folder (``open_clip_config.json`` and
``open_clip_model.safetensors``, fp16), shipped in the wheel as package data (this
folder installs as ``clipdesk.models``; this script goes along, inert unless run), that
loads through open_clip's own ``local-dir:`` code path, exactly like a downloaded
model. It has learned real if
narrow semantics (6 colours x 3 shapes), so tests can assert that a search for
"red circle" ranks red circles first. The script ends by printing zero-shot
accuracy over the 18 "a photo of a {colour} {shape}" classes on freshly generated
held-out images; the model is only written if that reaches 90%.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import open_clip
import torch
import torch.nn.functional as F

if __name__ == "__main__":  # run from a checkout: the repository's own clipdesk package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from clipdesk.testing.synthetic import CLASSES, random_sample, random_size, render  # noqa: E402

HERE = Path(__file__).resolve().parent
IMAGE_SIZE = 64
CONFIG = {
    "model_cfg": {
        "embed_dim": 64,
        "vision_cfg": {"image_size": IMAGE_SIZE, "layers": 4, "width": 96, "patch_size": 8},
        "text_cfg": {
            "context_length": 16,
            "vocab_size": 49408,
            "width": 64,
            "heads": 4,
            "layers": 2,
        },
    },
    "preprocess_cfg": {
        "size": IMAGE_SIZE,
        "mean": [0.48145466, 0.4578275, 0.40821073],
        "std": [0.26862954, 0.26130258, 0.27577711],
        "interpolation": "bicubic",
        # Squash keeps a shape drawn near an edge of a wide photo inside the frame.
        "resize_mode": "squash",
    },
}
TEMPLATES = [
    "a photo of a {}.",
    "a photo of a {}",
    "a {}",
    "{}",
    "an image of a {}.",
    "a picture of a {}",
    "a small {}",
    "a big {}",
]


def captions_for(colour: str, shape: str, rng: np.random.Generator) -> tuple[str, tuple]:
    """A caption and the constraint it expresses: (colour or None, shape or None)."""
    r = rng.random()
    t = TEMPLATES[int(rng.integers(len(TEMPLATES)))]
    if r < 0.70:
        return t.format(f"{colour} {shape}"), (colour, shape)
    if r < 0.85:
        return t.format(shape), (None, shape)
    return rng.choice(
        [f"something {colour}", f"a {colour} thing", f"{colour}", f"the colour {colour}"]
    ), (
        colour,
        None,
    )


def to_tensor(images, preprocess) -> torch.Tensor:
    return torch.stack([preprocess(im) for im in images])


def make_dataset(n: int, seed: int, preprocess) -> tuple[torch.Tensor, list[tuple[str, str]]]:
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for _ in range(n):
        s = random_sample(rng, 48, 256)
        images.append(preprocess(s.image).to(torch.float16))
        labels.append((s.colour, s.shape))
    return torch.stack(images), labels


def zero_shot_accuracy(model, tokenizer, preprocess, n: int, seed: int) -> float:
    model.eval()
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        text = model.encode_text(tokenizer([f"a photo of a {c} {s}" for c, s in CLASSES]))
        text = F.normalize(text, dim=-1)
        correct = 0
        for start in range(0, n, 256):
            samples = [
                render(*CLASSES[int(rng.integers(len(CLASSES)))], random_size(rng, 64, 900), rng)
                for _ in range(min(256, n - start))
            ]
            img = F.normalize(
                model.encode_image(to_tensor([s.image for s in samples], preprocess)), dim=-1
            )
            pred = (img @ text.T).argmax(-1)
            correct += sum(
                CLASSES[int(p)] == (s.colour, s.shape) for p, s in zip(pred, samples, strict=True)
            )
    model.train()
    return correct / n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE / "test")
    ap.add_argument("--train-images", type=int, default=30_000)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--eval-images", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.manual_seed(args.seed)

    cfg_dir = args.out
    cfg_dir.mkdir(parents=True, exist_ok=True)
    (cfg_dir / "open_clip_config.json").write_text(json.dumps(CONFIG, indent=2) + "\n")
    model, _, preprocess = open_clip.create_model_and_transforms(f"local-dir:{cfg_dir}")
    tokenizer = open_clip.get_tokenizer(f"local-dir:{cfg_dir}")

    t0 = time.time()
    images, labels = make_dataset(args.train_images, args.seed, preprocess)
    print(f"generated {len(labels)} training images in {time.time() - t0:.0f}s", flush=True)

    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=1e-3, total_steps=args.steps, pct_start=0.1
    )
    rng = np.random.default_rng(args.seed + 1)
    model.train()
    t0 = time.time()
    for step in range(args.steps):
        idx = rng.choice(len(labels), args.batch, replace=False)
        batch = images[idx].float()
        # Light augmentation: flips keep every class label true.
        if rng.random() < 0.5:
            batch = batch.flip(-1)
        caps, cons = zip(*(captions_for(*labels[i], rng) for i in idx), strict=True)
        # match[i, j]: image i satisfies caption j (partial captions match many images).
        match = torch.tensor(
            [
                [
                    (c is None or c == labels[i][0]) and (s is None or s == labels[i][1])
                    for c, s in cons
                ]
                for i in idx
            ],
            dtype=torch.float32,
        )
        img = F.normalize(model.encode_image(batch), dim=-1)
        txt = F.normalize(model.encode_text(tokenizer(list(caps))), dim=-1)
        logits = model.logit_scale.exp().clamp(max=100) * img @ txt.T
        loss = (
            F.cross_entropy(logits, match / match.sum(1, keepdim=True))
            + F.cross_entropy(logits.T, match.T / match.T.sum(1, keepdim=True))
        ) / 2
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 100 == 0 or step == args.steps - 1:
            print(f"step {step:5d}  loss {loss.item():.3f}  {time.time() - t0:.0f}s", flush=True)

    acc = zero_shot_accuracy(model, tokenizer, preprocess, args.eval_images, args.seed + 12345)
    print(
        f"zero-shot accuracy over {len(CLASSES)} classes "
        f"on {args.eval_images} held-out images: {acc:.1%}"
    )
    if acc < 0.90:
        print("below the 90% bar: not writing the weights", file=sys.stderr)
        return 1
    from safetensors.torch import save_file

    weights = cfg_dir / "open_clip_model.safetensors"
    save_file({k: v.detach().half().contiguous() for k, v in model.state_dict().items()}, weights)
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    (cfg_dir / "SHA256").write_text(f"{digest}  {weights.name}\n")
    print(f"wrote {weights} ({weights.stat().st_size / 1e6:.1f} MB, sha256 {digest[:16]}...)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
