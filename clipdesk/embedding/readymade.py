"""Ready-made ONNX exports: how an installation without torch gets a real model.

Exporting an open_clip model needs torch (the export extra); a few models have public ONNX
exports of the very same open_clip weights, which an installation without torch downloads
instead of the weights, the way weights are downloaded (``download.fetch``: progress,
cancel, resume, the hub's SHA-256 checked, ``HF_ENDPOINT``), into the same hub cache. Where
each comes from, its licence and what was checked: docs/models.md.

Each source's graphs differ from ClipDesk's own export only in conventions, which the
metadata written beside them tells the runtime (``io`` in ``clipdesk.json``, read by
onnx_runtime.py): the names of the input and output, the input's type (int32 tokens), a
batch of one (Immich's graphs), an output that is not yet L2-normalised (the Embedder
normalises every vector anyway), and a text graph of fixed length. The preprocessing and
the tokenizer are ClipDesk's own (preprocess.py, tokenizer.py), set from the source's
configuration: both sources' models use open_clip's plain CLIP tokenizer, whose
vocabulary ships with ClipDesk (the same file rclip's repository carries).

``install`` puts a downloaded export where the runtime looks (``onnx_export.cache_folder``
with the key ``readymade``): ``clipdesk.json``, a link to the image graph in the hub cache
(on disk once), and the text graph made to take any number of tokens (text_length.py: a
copy, checked against the downloaded one), else a link to it too.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from clipdesk.embedding import onnx_export
from clipdesk.embedding.errors import ModelUnavailable
from clipdesk.embedding.text_length import try_make_dynamic

if TYPE_CHECKING:
    from clipdesk.embedding.hooks import DownloadHooks
    from clipdesk.embedding.registry import ModelSpec

log = logging.getLogger(__name__)

KEY = "readymade"
"""The cache folder's key (``onnx_export.cache_folder``) of an installed ready-made export."""


@dataclass(frozen=True)
class Graph:
    """One graph file of a source and its conventions."""

    path: str  # in the hub repository
    input: str
    output: str
    batch_of_one: bool = False  # exported with a fixed batch of 1: run row by row


@dataclass(frozen=True)
class ReadyMade:
    """A public ONNX export of one open_clip model (the same weights) on the model hub."""

    model: str  # ClipDesk's name, ARCH:TAG
    repo: str
    revision: str
    image: Graph
    text: Graph
    dim: int
    preprocess_cfg: dict
    context_length: int = 77
    logit_scale: float = 100.0
    config_file: str | None = None  # an open_clip model config in the repository (Immich)
    preprocess_file: str | None = None  # open_clip's preprocess_cfg in the repository (Immich)
    sha256: dict[str, str] = field(default_factory=dict)  # pinned where measured: path -> hash
    page: str = ""  # where a person reads about the files and their licence

    @property
    def files(self) -> list[str]:
        extra = [f for f in (self.config_file, self.preprocess_file) if f]
        return [*extra, self.image.path, self.text.path]


# open_clip's preprocess_cfg of ViT-B-32-256 (model_configs/ViT-B-32-256.json: image_size
# 256, the OpenAI mean and std, bicubic, shortest-side resize and centre crop), which is
# what rclip's own preprocess.py does (Resize(256, bicubic) -> CenterCrop(256) -> Normalize).
# No mean or std: preprocess.ImageTransform takes OpenAI's (not imported here: a search
# never loads the image transform).
_VIT_B_32_256 = {
    "size": [256, 256],
    "mode": "RGB",
    "interpolation": "bicubic",
    "resize_mode": "shortest",
    "fill_color": 0,
}

# rclip 3.3 (MIT; rclip/model_download.py, scripts/convert_model.py): visual.onnx is
# ``model.visual`` and textual.onnx ``model.encode_text`` of open_clip's ViT-B-32-256
# datacomp_s34b_b86k, input "input", output "output", batch axis dynamic, 77 tokens, the
# output not normalised (rclip normalises it). Its upload squashes the repository's history,
# so an old commit id disappears: "main", with the hub's SHA-256 of each file checked.
RCLIP = ReadyMade(
    model="ViT-B-32-256:datacomp_s34b_b86k",
    repo="yurijmikhalevich/rclip-models",
    revision="main",
    image=Graph("ViT-B-32-256-datacomp_s34b_b86k/visual.onnx", "input", "output"),
    text=Graph("ViT-B-32-256-datacomp_s34b_b86k/textual.onnx", "input", "output"),
    dim=512,
    preprocess_cfg=_VIT_B_32_256,
    page="https://huggingface.co/yurijmikhalevich/rclip-models",
)


def immich(model: str, name: str) -> ReadyMade:
    """An Immich export (immich-app/immich, machine-learning/; AGPL code, the files' own
    card: docs/models.md): ``immich-app/<name>``, ``visual/model.onnx`` (input "image") and
    ``textual/model.onnx`` (input "text", int32), each with a batch of one, output
    "embedding" normalised; ``config.json`` (open_clip's model config) and
    ``visual/preprocess_cfg.json`` (open_clip's preprocess_cfg) say the rest."""
    return ReadyMade(
        model=model,
        repo=f"immich-app/{name}",
        revision="main",
        image=Graph("visual/model.onnx", "image", "embedding", batch_of_one=True),
        text=Graph("textual/model.onnx", "text", "embedding", batch_of_one=True),
        dim=0,  # from config.json
        preprocess_cfg={},  # from visual/preprocess_cfg.json
        config_file="config.json",
        preprocess_file="visual/preprocess_cfg.json",
        page=f"https://huggingface.co/immich-app/{name}",
    )


SOURCES: dict[str, ReadyMade] = {
    s.model: s
    for s in (
        RCLIP,
        immich("ViT-B-32:laion2b_s34b_b79k", "ViT-B-32__laion2b-s34b-b79k"),
    )
}
"""The models of the window's list (gui/adapters/model_choices.py) with a ready-made export,
by ClipDesk name. Immich has more (its OpenAI and LAION ViTs would fit as they are; its
SigLIP and multilingual ones need their own tokenizer.json): docs/models.md."""


def source_for(spec: ModelSpec | str) -> ReadyMade | None:
    name = spec if isinstance(spec, str) else spec.name
    return SOURCES.get(name)


def wanted(spec: ModelSpec) -> ReadyMade | None:
    """The source to download ``spec`` from: where it has one and torch is not installed
    (with torch, ClipDesk downloads the weights and exports them itself)."""
    from clipdesk.embedding.prebuilt import missing_torch_stack

    source = source_for(spec)
    return source if source is not None and missing_torch_stack() else None


def cached(source: ReadyMade, cache_dir: Path) -> dict[str, Path] | None:
    """The source's files in the hub cache (path in the repository -> file), or None
    while any is missing."""
    from clipdesk.embedding import download

    found = {}
    for name in source.files:
        path = download.cached_file(cache_dir, source.repo, name, source.revision)
        if path is None:
            return None
        found[name] = path
    return found


def download(source: ReadyMade, cache_dir: Path, hooks: DownloadHooks | None = None) -> Path:
    """Download the source's files into the hub cache (resumed, verified), the small ones
    first; return the image graph's path. Offline, one line that says what to do."""
    import http.client

    from clipdesk.embedding import download as hub
    from clipdesk.embedding.weights import hub_reachable

    found = cached(source, cache_dir)
    if found is not None:
        return found[source.image.path]
    online = hub_reachable()
    if not online:
        raise offline_error(source, cache_dir, "no connection to the model hub")
    paths = {}
    try:
        for name in source.files:
            paths[name] = hub.fetch(
                source.repo,
                name,
                cache_dir,
                revision=source.revision,
                hooks=hooks,
                expected_sha256=source.sha256.get(name),
            )
    except hub.EntryNotFound as exc:
        raise ModelUnavailable(
            f"the model hub has no ready-made export of {source.model}: {exc}"
        ) from None
    except (OSError, http.client.HTTPException) as exc:  # the hub did not answer
        raise offline_error(source, cache_dir, type(exc).__name__) from None
    return paths[source.image.path]


def offline_error(source: ReadyMade, cache_dir: Path, why: str) -> ModelUnavailable:
    files = ", ".join(source.files)
    return ModelUnavailable(
        f"the ready-made ONNX export of {source.model} is not in {cache_dir} and could not "
        f"be downloaded ({why}). Connect to the internet once, or get {files} from "
        f"{source.page} (or try ClipDesk with its small built-in model: --model test)"
    )


def install_folder(spec: ModelSpec | str, onnx_dir: Path) -> Path:
    name = spec if isinstance(spec, str) else spec.name
    return onnx_export.cache_folder(onnx_dir, name, KEY)


def install(spec: ModelSpec, cache_dir: Path, onnx_dir: Path) -> Path | None:
    """The ready-made export of ``spec`` as a runtime folder (made from the hub cache if
    needed); None when ``spec`` has no source or its files are not downloaded."""
    source = source_for(spec)
    if source is None:
        return None
    folder = install_folder(spec, onnx_dir)
    found = cached(source, cache_dir)
    meta = onnx_export.read_meta(folder)
    if found is None:  # the cache was cleared: the links lead nowhere (read_meta: None)
        return None
    digest = found[source.image.path].resolve().name  # the blob: the hub's SHA-256
    if onnx_export.is_complete(meta) and meta.get("weights_sha256") == digest:
        return folder
    try:
        _write(source, found, digest, folder)
    except (OSError, ValueError, KeyError) as exc:
        raise ModelUnavailable(
            f"cannot use the ready-made export of {spec.name} in {cache_dir}: {exc}"
        ) from None
    return folder


def _write(source: ReadyMade, found: dict[str, Path], digest: str, dest: Path) -> None:
    """``clipdesk.json`` and links to the two graphs, in ``dest`` atomically."""
    dim, context, cfg = source.dim, source.context_length, dict(source.preprocess_cfg)
    if source.config_file:
        model_cfg = json.loads(found[source.config_file].read_text(encoding="utf-8"))
        dim = int(model_cfg["embed_dim"])
        context = int(model_cfg.get("text_cfg", {}).get("context_length", context))
    if source.preprocess_file:
        cfg = json.loads(found[source.preprocess_file].read_text(encoding="utf-8"))
    size = cfg.get("size", 224)
    size = int(size if isinstance(size, (int, float)) else size[-1])
    meta = {
        "format": onnx_export.FORMAT,
        "dim": dim,
        "image_size": size,
        "context_length": context,
        "preprocess_cfg": cfg,
        "logit_scale": source.logit_scale,
        "tokenizer": {"kind": "clip-bpe", "clean": "lower", "context_length": context},
        "text_dynamic_length": False,
        "weights_sha256": digest,
        "source": {"repo": source.repo, "revision": source.revision, "page": source.page},
        "io": {
            part: {"input": g.input, "output": g.output, "batch_of_one": g.batch_of_one}
            for part, g in (("image", source.image), ("text", source.text))
        },
    }
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".readymade-", dir=dest.parent))
    try:
        _link(found[source.image.path].resolve(), work / "image.onnx")
        text = found[source.text.path].resolve()
        if try_make_dynamic(text, work / "text.onnx", source.text.input, context):
            meta["text_dynamic_length"] = True  # a copy of it that takes any length
        else:
            _link(text, work / "text.onnx")
        (work / onnx_export.META_FILE).write_text(json.dumps(meta, indent=2))
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(work, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info("installed the ready-made export of %s from %s in %s", source.model, source.repo, dest)


def _link(target: Path, link: Path) -> None:
    """A link to the downloaded graph: symbolic, else hard, else a copy."""
    try:
        link.symlink_to(target)
        return
    except OSError:
        pass
    try:
        os.link(target, link)
    except OSError:
        shutil.copyfile(target, link)


def discard(spec: ModelSpec, cache_dir: Path, onnx_dir: Path) -> None:
    """Remove a ready-made export that will not open, and its downloaded files, so that the
    next run downloads it again."""
    source = source_for(spec)
    shutil.rmtree(install_folder(spec, onnx_dir), ignore_errors=True)
    for path in (cached(source, cache_dir) or {}).values() if source else ():
        blob = path.resolve()
        path.unlink(missing_ok=True)
        blob.unlink(missing_ok=True)
