"""The models offered in Settings and on the welcome page, with download size and speed.

Sizes are the fp32 weights (parameters x 4 bytes, counted from the open_clip
architectures); speed is image-encoder compute relative to ViT-B-32 at 224 px.
No Qt, and nothing here imports torch or open_clip.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clipdesk.settings import DEFAULT_MODEL


@dataclass(frozen=True)
class ModelChoice:
    name: str  # what --model takes
    label: str
    size_mb: int | None  # download size; None: nothing to download
    speed: str
    hub: str | None = None  # the Hugging Face repository the weights come from
    downloads: bool = True  # False: a local or bundled model

    def describe(self) -> str:
        if not self.downloads:
            size = "no download"
        else:
            size = f"{self.size_mb:,} MB download" if self.size_mb else "a download"
        return f"{self.label}: {size}, {self.speed}"


CHOICES: tuple[ModelChoice, ...] = (
    ModelChoice(
        DEFAULT_MODEL,
        "ViT-B/32 at 256 px, DataComp (recommended)",
        605,
        "fast, about 1.3x the work of B/32",
        "laion/CLIP-ViT-B-32-256x256-DataComp-s34B-b86K",
    ),
    ModelChoice(
        "ViT-B-32:laion2b_s34b_b79k",
        "ViT-B/32, LAION-2B",
        605,
        "fastest",
        "laion/CLIP-ViT-B-32-laion2B-s34B-b79K",
    ),
    ModelChoice(
        "MobileCLIP-S2:datacompdr",
        "MobileCLIP S2, Apple",
        397,
        "fast",
        "apple/MobileCLIP-S2-OpenCLIP",
    ),
    ModelChoice(
        "ViT-B-16:datacomp_xl_s13b_b90k",
        "ViT-B/16, DataComp-XL",
        598,
        "about 4x slower than B/32",
        "laion/CLIP-ViT-B-16-DataComp.XL-s13B-b90K",
    ),
    ModelChoice(
        "ViT-L-14:datacomp_xl_s13b_b90k",
        "ViT-L/14, DataComp-XL (best; wants a GPU)",
        1710,
        "about 18x slower than B/32",
        "laion/CLIP-ViT-L-14-DataComp.XL-s13B-b90K",
    ),
    ModelChoice(
        "xlm-roberta-base-ViT-B-32:laion5b_s13b_b90k",
        "ViT-B/32 + XLM-RoBERTa, LAION-5B (multilingual: search in your own language)",
        1470,
        "as fast as B/32 for photos, slower text",
        "laion/CLIP-ViT-B-32-xlm-roberta-base-laion5B-s13B-b90k",
    ),
    ModelChoice(
        "test",
        "ClipDesk's small test model (coloured shapes only: for trying the app)",
        None,
        "very fast",
        downloads=False,
    ),
)

BACKENDS: tuple[tuple[str, str], ...] = (
    ("auto", "Automatic: NVIDIA or Apple GPU if there is one, else ONNX Runtime on the CPU"),
    ("onnx", "ONNX Runtime on the CPU"),
    ("cuda", "NVIDIA GPU (CUDA)"),
    ("mps", "Apple GPU (Metal)"),
    ("cpu", "PyTorch on the CPU"),
)


def choice_for(name: str) -> ModelChoice:
    """The curated entry for ``name``, or a plain one for a local or custom model."""
    for c in CHOICES:
        if c.name == name:
            return c
    if Path(name.partition(":")[2] or name).expanduser().exists():
        return ModelChoice(
            name, f"Local model {name}", None, "speed depends on the model", downloads=False
        )
    return ModelChoice(name, name, None, "unknown speed")


def needs_download(name: str, weights_dir: Path) -> bool:
    """True when neither the weights nor a ready-made export are in the cache yet (a
    pretrained tag, first use)."""
    choice = choice_for(name)
    if not choice.downloads:
        return False
    from clipdesk.embedding import readymade  # not at startup: it brings the ONNX tooling

    ready = readymade.source_for(name)  # or its ready-made ONNX export, downloaded before
    if ready is not None and readymade.cached(ready, weights_dir) is not None:
        return False
    if choice.hub is None:
        return True
    # The Hugging Face hub cache keeps a repository as models--ORG--REPO.
    return not (weights_dir / f"models--{choice.hub.replace('/', '--')}").is_dir()
