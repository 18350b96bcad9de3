"""``clipdesk cluster-embed``: a Ray Data pipeline, and the one module that imports Ray.

    list files (head) -> hash, decode, preprocess (CPU tasks) -> embed (model actors)
    -> write_parquet (DIR/shards/RUN/)

The head loads the model once on the CPU (to learn its transform and dimension, and to
export it to ONNX where the cache lacks it) and hashes its weights; every actor checks
its own weights against that hash. Content already in DIR (embedded, or failed with the
same bytes) is skipped, so a run stopped half way continues where it stopped.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import ray

from clipdesk.cluster import shards
from clipdesk.cluster.identity import model_identity
from clipdesk.cluster.stages import (
    EmbedActor,
    decode_batch,
    decode_side,
    list_photos,
    transform_config,
)
from clipdesk.embedding import load_embedder

log = logging.getLogger(__name__)
DECODE_TASK_MEMORY = 256 * 1024 * 1024


@dataclass
class ClusterConfig:
    roots: list[str]
    output: str
    model: str
    address: str | None = None  # None: a Ray on this machine; "auto"; "ray://HOST:PORT"
    batch_size: int | None = None  # per model call; default 256 on a GPU, 32 on a CPU
    gpus_per_worker: float | None = None  # None: 1 where the cluster has GPUs, else 0
    backend: str | None = None  # force the actors' backend (default: auto)
    weights_dir: Path | None = None  # the head's model caches; also the actors' when local
    onnx_dir: Path | None = None


@dataclass
class ClusterSummary:
    run: str
    listed: int = 0
    embedded: int = 0
    skipped: int = 0  # content already in DIR (embedded, or failed with these bytes)
    failed: int = 0  # files of this run that could not be embedded
    failures: list[dict] = field(default_factory=list)  # every failure DIR lists now
    seconds: float = 0.0
    model: str = ""
    actors: int = 0
    gpus_per_actor: float = 0.0

    @property
    def rate(self) -> float:
        return self.embedded / self.seconds if self.seconds > 0 else 0.0


def _connect(address: str | None) -> bool:
    """Join or start Ray; True when this call started it (and so should stop it)."""
    if ray.is_initialized():
        return False
    if address:
        ray.init(address=address, log_to_driver=False)
    else:
        ray.init(include_dashboard=False, log_to_driver=False)
    return True


def _actor_plan(cfg: ClusterConfig) -> tuple[int, float, float, int]:
    """(actors, GPUs each, CPUs each, ONNX threads) from the cluster's resources: one actor
    per GPU share; on CPUs only, actors with up to 4 cores each taking half of the cores
    (the other half decodes)."""
    res = ray.cluster_resources()
    cpus, gpus = int(res.get("CPU", 1)), float(res.get("GPU", 0))
    per = cfg.gpus_per_worker if cfg.gpus_per_worker is not None else (1.0 if gpus else 0.0)
    if per > 0:  # GPU-ONLY: never run on the project's machines (no GPU there)
        return max(1, int(gpus / per)), per, 1.0, 1
    each = max(1, min(4, cpus // 2))
    return max(1, cpus // (2 * each)), 0.0, float(each), each


def run(cfg: ClusterConfig) -> ClusterSummary:
    """Embed every supported photo under ``cfg.roots`` not yet in ``cfg.output``."""
    import ray.data

    out = shards.Output.open(cfg.output)
    head = load_embedder(
        cfg.model, backend="onnx", weights_dir=cfg.weights_dir, onnx_dir=cfg.onnx_dir
    )
    ident = model_identity(cfg.model, cfg.weights_dir or _default_weights())
    summary = ClusterSummary(f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}")
    summary.model = ident.describe()
    started = _connect(cfg.address)
    try:
        skip = frozenset(shards.known_hashes(out))
        list_errors: list[dict] = []
        blocks = list(list_photos(cfg.roots, list_errors))
        summary.listed = sum(len(b) for b in blocks) + len(list_errors)
        start = time.monotonic()
        if blocks:
            actors, gpus, cpus, threads = _actor_plan(cfg)
            summary.actors, summary.gpus_per_actor = actors, gpus
            batch = cfg.batch_size or (256 if gpus else 32)
            local = cfg.address is None
            ds = ray.data.from_arrow(blocks).map_batches(
                decode_batch,
                batch_size=None,  # one listing block per task
                batch_format="numpy",
                # A block's model inputs and the decodes behind them. The hint also keeps
                # Ray from fusing these tasks into the model actors (equal resources are
                # fused), so decoding overlaps the model on other cores.
                memory=DECODE_TASK_MEMORY,
                fn_kwargs={
                    "skip": skip,
                    "cfg": transform_config(head),
                    "side": decode_side(head.image_size),
                },
            )
            ds = ds.map_batches(
                EmbedActor,
                batch_size=batch,
                batch_format="numpy",
                concurrency=actors,
                num_gpus=gpus,
                num_cpus=cpus,
                fn_constructor_kwargs={
                    "model": cfg.model,
                    "weights_sha256": ident.weights_sha256,
                    "backend": cfg.backend or "auto",
                    # A local Ray shares this machine's caches; a cluster's nodes use theirs.
                    "weights_dir": str(cfg.weights_dir) if local and cfg.weights_dir else None,
                    "onnx_dir": str(cfg.onnx_dir) if local and cfg.onnx_dir else None,
                    "threads": threads if not gpus else None,
                },
            )
            ds.write_parquet(out.uri_of(shards.SHARDS, summary.run))
        summary.seconds = time.monotonic() - start
        summary.embedded, summary.failed = shards.run_counts(out, summary.run)
        summary.failed += len(list_errors)
        summary.skipped = summary.listed - summary.embedded - summary.failed
        summary.failures = shards.write_failures(out, list_errors)
    finally:
        if started:
            ray.shutdown()
    return summary


def _default_weights() -> Path:
    from clipdesk.home import app_paths

    return app_paths().model_weights
