"""The work of a cluster run, as plain Python that Ray Data calls (no Ray here):

- :func:`list_photos`: the supported files under each root (the scanner's own walk);
- :func:`decode_batch`: a CPU task per block: the content hash (the catalog's function),
  then, for content not done yet, the desktop's reduced-size decode with EXIF orientation
  and the model's preprocessing, at exactly the size the desktop indexer decodes at, so
  the vectors equal the desktop's;
- :class:`EmbedActor`: one model per actor, loaded once (CUDA fp16 where the actor has a
  GPU, else ONNX Runtime on the CPU, like the desktop), turning decoded batches into shard
  rows.

A file that cannot be read or decoded becomes a row with its reason; it never stops a run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa

from clipdesk.cluster.identity import model_identity
from clipdesk.cluster.shards import shard_schema
from clipdesk.embedding import Embedder, load_embedder
from clipdesk.embedding.preprocess import ImageTransform
from clipdesk.imaging import ImageError, ThumbnailCache, decode
from clipdesk.pathnames import from_db, to_db
from clipdesk.pipeline.identity import content_hash
from clipdesk.pipeline.scanner import walk_photos

LIST_BLOCK = 64  # files per listing block: one decode task each (pipelines with the model)


def decode_side(image_size: int) -> int:
    """The short side the desktop indexer decodes at (the model's input or the thumbnail,
    whichever is larger): the same decode gives the same pixels, and the same vector."""
    return max(image_size, ThumbnailCache(Path(".")).size)


def transform_config(embedder: Embedder) -> dict:
    """The model's preprocess_cfg, from a loaded embedder (ONNX export metadata or torch)."""
    if "preprocess_cfg" in embedder.info:
        return dict(embedder.info["preprocess_cfg"])
    from clipdesk.embedding import onnx_export

    return dict(onnx_export.read_meta(Path(embedder.info["onnx_folder"]))["preprocess_cfg"])


def list_photos(roots: list[str], errors: list[dict]) -> Iterator[pa.Table]:
    """Blocks of (root, path relative to it) for every supported file under ``roots``;
    what cannot be listed goes into ``errors`` as failure rows."""
    roots_seen, rels = [], []
    for root in roots:
        walk_errors: list[tuple[str, str]] = []
        for entry in walk_photos(root, walk_errors):
            roots_seen.append(to_db(root))
            rels.append(to_db(os.path.relpath(entry.path, root)))
            if len(rels) == LIST_BLOCK:
                yield pa.table({"root": roots_seen, "path": rels})
                roots_seen, rels = [], []
        for path, reason in walk_errors:
            rel = os.path.relpath(path, root)
            errors.append({"root": to_db(root), "path": to_db(rel), "hash": "", "reason": reason})
    if rels:
        yield pa.table({"root": roots_seen, "path": rels})


def decode_batch(
    batch: dict[str, np.ndarray], skip: frozenset[str], cfg: dict, side: int
) -> dict[str, np.ndarray]:
    """A listing block -> decoded rows (``pixels`` the model's input; a failed file has
    zeros there and its reason in ``error``). Content in ``skip`` is left out."""
    transform = ImageTransform.from_cfg(cfg)
    height, width = transform.size
    out: dict[str, list] = {k: [] for k in ("hash", "size", "root", "path", "width", "height")}
    out.update(orientation=[], taken_at=[], error=[], pixels=[])
    for root, rel in zip(batch["root"], batch["path"], strict=True):
        path = os.path.join(from_db(str(root)), from_db(str(rel)))
        row = {"hash": "", "size": 0, "width": 0, "height": 0, "orientation": 1}
        row.update(taken_at="", error="", pixels=None)
        try:
            row["size"] = os.stat(path).st_size
            row["hash"] = content_hash(path, row["size"])
        except OSError as exc:
            row["error"] = f"cannot read file: {exc.strerror or exc}"
        if row["hash"] in skip:
            continue
        if not row["error"]:
            try:
                d = decode(path, min_side=side)
                row["pixels"] = transform(d.image)
                row.update(width=d.width, height=d.height, orientation=d.orientation)
                row["taken_at"] = d.taken_at or ""
            except ImageError as exc:
                row["error"] = str(exc)
            except Exception as exc:  # a decoder bug costs one photo, not the run
                row["error"] = f"unexpected {type(exc).__name__}: {exc}"
        if row["pixels"] is None:
            row["pixels"] = np.zeros((3, height, width), np.float32)
        out["root"].append(str(root))
        out["path"].append(str(rel))
        for key, value in row.items():
            out[key].append(value)
    arrays = {k: np.asarray(v, dtype=object) for k, v in out.items() if k != "pixels"}
    for key in ("size", "width", "height", "orientation"):
        arrays[key] = np.asarray(out[key], dtype=np.int64)
    arrays["pixels"] = (
        np.stack(out["pixels"]) if out["pixels"] else np.zeros((0, 3, height, width), np.float32)
    )
    return arrays


class EmbedActor:
    """One model on one worker: decoded rows in, shard rows (a pyarrow table) out.

    The model's weights must hash to the run's (the head checked them once): a node with
    other weights under the same name fails at once instead of writing vectors that do
    not belong with the rest.
    """

    def __init__(
        self,
        model: str,
        weights_sha256: str,
        backend: str = "auto",
        weights_dir: str | None = None,
        onnx_dir: str | None = None,
        threads: int | None = None,
    ):
        from clipdesk.home import app_paths

        paths = app_paths()
        wdir = Path(weights_dir) if weights_dir else paths.model_weights
        odir = Path(onnx_dir) if onnx_dir else paths.onnx_models
        ident = model_identity(model, wdir)
        if ident.weights_sha256 != weights_sha256:
            raise RuntimeError(
                f"the weights of {ident.name} on this node hash to "
                f"{ident.weights_sha256[:12]}, not {weights_sha256[:12]} as on the head node"
            )
        # CUDA fp16 where this actor was given a GPU (GPU-ONLY: not run on the project's
        # machines), else ONNX Runtime on the CPU, as on the desktop.
        self.embedder = load_embedder(  # one batch at a time, on all its threads
            model,
            backend=backend,
            weights_dir=wdir,
            onnx_dir=odir,
            threads=threads,
            image_lanes=1,
        )
        self.ident = ident
        self.schema = shard_schema(self.embedder.dim)

    def __call__(self, batch: dict[str, np.ndarray]) -> pa.Table:
        n = len(batch["hash"])
        errors = [str(e) for e in batch["error"]]
        ok = np.array([not e for e in errors], dtype=bool)
        vectors = np.zeros((n, self.embedder.dim), np.float32)
        if ok.any():
            vectors[ok] = self.embedder.encode_images(np.asarray(batch["pixels"])[ok])
        flat = pa.array(vectors.reshape(-1), pa.float32())
        vector = pa.FixedSizeListArray.from_arrays(flat, self.embedder.dim, mask=pa.array(~ok))
        text = lambda key: [str(v) or None for v in batch[key]]  # noqa: E731
        return pa.table(
            {
                "hash": [str(v) for v in batch["hash"]],
                "size": pa.array(batch["size"], pa.int64()),
                "root": [str(v) for v in batch["root"]],
                "path": [str(v) for v in batch["path"]],
                "width": pa.array(batch["width"], pa.int32()),
                "height": pa.array(batch["height"], pa.int32()),
                "orientation": pa.array(batch["orientation"], pa.int32()),
                "taken_at": text("taken_at"),
                "model": [self.ident.name] * n,
                "weights_sha256": [self.ident.weights_sha256] * n,
                "vector": vector,
                "error": [e or None for e in errors],
            },
            schema=self.schema,
        )
