"""Model names -> open_clip loading arguments, and loading with clear offline errors.

A model is named one of these ways (``--model``):

- ``test``: the project's own small CLIP trained on coloured shapes (package data:
  ``models/test`` in the repository, ``clipdesk/models/test`` installed);
- ``NAME:PRETRAINED``: an open_clip architecture and pretrained tag, e.g.
  ``ViT-B-32-256:datacomp_s34b_b86k``, downloaded on first use into the cache;
- ``NAME:/path/to/checkpoint``: an open_clip architecture with a local weights file;
- a folder (or a weights file inside one) holding ``open_clip_config.json``;
- ``hf-hub:org/repo`` or ``local-dir:/path`` as open_clip itself spells them.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from clipdesk.embedding.errors import ModelUnavailable
from clipdesk.embedding.prebuilt import without_torch

# Package data: models/test in the repository, installed as clipdesk.models (pyproject.toml's
# package-dir), asked for by that name so that an editable install finds it too. A real
# folder in each install and the PyInstaller bundle (open_clip's local-dir: loader needs a
# path on disk, not a zip member).
TEST_MODEL_NAME = "test"
TEST_MODEL_DIR = Path(
    os.environ.get("CLIPDESK_TEST_MODEL") or str(resources.files("clipdesk.models") / "test")
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelSpec:
    name: str  # the canonical name embeddings are stored under
    open_clip_name: str  # first argument to open_clip.create_model_and_transforms
    pretrained: str | None = None  # a tag or a file path (only without a schema)
    expected_sha256: str | None = None  # checked before loading, where known

    @property
    def is_local(self) -> bool:
        return self.open_clip_name.startswith("local-dir:") or (
            self.pretrained is not None and os.path.isfile(self.pretrained)
        )


_TEST_MODEL_FIX = (
    "it ships inside the clipdesk package, so this installation is incomplete: reinstall "
    "ClipDesk (in a clone of the repository, python models/train_test_model.py retrains it)"
)


def _local_dir_spec(name: str, folder: Path) -> ModelSpec:
    sha = None
    sums = folder / "SHA256"
    if sums.is_file():
        sha = sums.read_text().split()[0]
    return ModelSpec(name, f"local-dir:{folder}", None, sha)


@without_torch
def parse_model(text: str, check: bool = True) -> ModelSpec:
    """Turn a ``--model`` value into a ModelSpec, or raise ModelUnavailable saying why.
    ``check=False`` takes an ARCH:TAG name as given, without asking open_clip whether it
    knows it (importing open_clip imports torch: seconds), for where only the name is
    needed; loading the model checks it."""
    text = text.strip()
    if text == TEST_MODEL_NAME:
        if not (TEST_MODEL_DIR / "open_clip_config.json").is_file():
            raise ModelUnavailable(
                f"the test model is missing from {TEST_MODEL_DIR}; {_TEST_MODEL_FIX}"
            )
        return _local_dir_spec(TEST_MODEL_NAME, TEST_MODEL_DIR)
    if text.startswith(("hf-hub:", "local-dir:")):
        return ModelSpec(text, text)
    path = Path(text).expanduser()
    if path.exists():
        folder = path if path.is_dir() else path.parent
        if (folder / "open_clip_config.json").is_file():
            return _local_dir_spec(str(folder.resolve()), folder.resolve())
        raise ModelUnavailable(
            f"{text} has no open_clip_config.json beside it, so its architecture is unknown; "
            f"name it as ARCHITECTURE:{text} (for example ViT-B-32:{text})"
        )
    arch, sep, pretrained = text.partition(":")
    if not sep or not pretrained:
        raise ModelUnavailable(
            f"unknown model {text!r}: use 'test', NAME:PRETRAINED (e.g. "
            "ViT-B-32-256:datacomp_s34b_b86k), NAME:/path/to/weights, or a model folder"
        )
    known = _bundled_architectures() if check else None  # None: nothing to ask
    if known is not None and arch not in known:  # else no need to import open_clip
        import open_clip

        if arch not in open_clip.list_models():
            raise ModelUnavailable(
                f'open_clip has no architecture {arch!r}; see `python -c "import open_clip; '
                'print(open_clip.list_models())"`'
            )
    if os.path.isfile(os.path.expanduser(pretrained)):
        full = str(Path(pretrained).expanduser().resolve())
        return ModelSpec(f"{arch}:{full}", arch, full)
    if "/" in pretrained or os.sep in pretrained:
        raise ModelUnavailable(f"weights file not found: {pretrained}")
    if _exported_before(text):  # checked when first loaded; open_clip takes 3 s to import
        return ModelSpec(text, arch, pretrained)
    if known is None:  # not checked, or no open_clip to ask (the bundle): loading it says
        return ModelSpec(text, arch, pretrained)
    import open_clip

    if not open_clip.get_pretrained_cfg(arch, pretrained):
        tags = ", ".join(open_clip.list_pretrained_tags_by_model(arch)) or "none"
        raise ModelUnavailable(f"{arch} has no pretrained tag {pretrained!r}; known tags: {tags}")
    return ModelSpec(text, arch, pretrained)


def _bundled_architectures() -> set[str] | None:
    """The architectures open_clip ships configs for (what ``open_clip.list_models()``
    lists), read from its package folder without importing it (and torch); None where
    open_clip is not installed (the bundle)."""
    found = importlib.util.find_spec("open_clip")
    if found is None or not found.submodule_search_locations:
        return None
    folder = Path(next(iter(found.submodule_search_locations))) / "model_configs"
    return {p.stem for p in folder.glob("*.json")}


def _exported_before(name: str) -> bool:
    """Whether ``name`` (ARCH:TAG) has an ONNX export in the user's cache, remembered with
    the weights file it was downloaded to: then it was a valid name, and checking it again
    would need open_clip (and torch) at run time."""
    from clipdesk.embedding.onnx_export import remembered_weights
    from clipdesk.home import app_paths

    return remembered_weights(app_paths().onnx_models, name)[0]


_PREFERRED_CHECKPOINTS = (
    "open_clip_model.safetensors",
    "open_clip_pytorch_model.safetensors",
    "open_clip_pytorch_model.bin",
    "open_clip_pytorch_model.pth",
    "model.safetensors",
    "pytorch_model.bin",
    "pytorch_model.pth",
    "model.pth",
)


def find_checkpoint_in_dir(folder: Path) -> Path | None:
    """The weights file open_clip loads from a ``local-dir:`` folder (the same choice as
    ``open_clip.factory._find_checkpoint_in_dir``), found without importing open_clip."""
    found = [*folder.glob("*.safetensors"), *folder.glob("*.bin"), *folder.glob("*.pth")]
    if not found:
        return None
    found.sort()
    found.sort(key=lambda p: p.suffix == ".safetensors", reverse=True)
    preferred = [p for p in found if p.name in _PREFERRED_CHECKPOINTS]
    if preferred:
        return min(preferred, key=lambda p: _PREFERRED_CHECKPOINTS.index(p.name))
    return found[0]


def local_weights(spec: ModelSpec) -> tuple[bool, Path | None]:
    """(whether the weights are a local file or folder, that file) without open_clip."""
    if spec.open_clip_name.startswith("local-dir:"):
        return True, find_checkpoint_in_dir(Path(spec.open_clip_name.split(":", 1)[1]))
    if spec.pretrained and os.path.isfile(spec.pretrained):
        return True, Path(spec.pretrained)
    return False, None


def download_hint(spec: ModelSpec) -> str:
    """Where the weights for a pretrained tag come from, for an offline user."""
    import open_clip

    cfg = open_clip.get_pretrained_cfg(spec.open_clip_name, spec.pretrained or "") or {}
    if cfg.get("hf_hub"):
        repo = cfg["hf_hub"].rstrip("/")
        return (
            f"https://huggingface.co/{repo} "
            "(file open_clip_model.safetensors or open_clip_pytorch_model.bin)"
        )
    return cfg.get("url") or "the model's release page"


def sha256_file(path: Path, cache_dir: Path | None = None) -> str:
    """SHA-256 of a file, remembered by (path, size, mtime) so that big weights hash once."""
    st = path.stat()
    key = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    memo_file = cache_dir / "hashes.json" if cache_dir else None
    memo: dict[str, str] = {}
    if memo_file and memo_file.is_file():
        try:
            memo = json.loads(memo_file.read_text())
        except ValueError:
            memo = {}
    if key in memo:
        return memo[key]
    import hashlib  # OpenSSL's set-up, 5 ms: not paid by a search, whose hash is remembered

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    digest = h.hexdigest()
    if memo_file:
        memo[key] = digest
        memo_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = memo_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(memo))
        os.replace(tmp, memo_file)
    return digest
