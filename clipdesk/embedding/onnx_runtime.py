"""Running a model on ONNX Runtime (CPU) from its cached export, torch-free.

``cached_export`` finds a complete export in the cache (or a prebuilt one, the bundle's or
the test model's package data, copied in: prebuilt.py) without open_clip;
``onnx_embedder`` opens it as an ``Embedder`` whose graphs open on first use (the text
graph through an optimised copy saved beside it), with the numpy/PIL transform and the
export's torch-free tokenizer. Only where no usable export is cached or prebuilt does
``load_onnx`` export the model once, which needs torch and open_clip (``torch_model``,
imported there: the export extra). A damaged export or graph is cleared and copied or
exported again.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from clipdesk.embedding import onnx_export, prebuilt, readymade
from clipdesk.embedding.embedder import Embedder
from clipdesk.embedding.registry import ModelSpec, ModelUnavailable, local_weights
from clipdesk.embedding.weights import check_hash

log = logging.getLogger(__name__)

ONNX_SPINNING: dict[str, bool] = {"image": False, "text": True}
"""Whether ONNX Runtime's intra-op threads spin while waiting for work, per graph. The
image graph runs beside the indexer's decode threads where it has several intra-op
threads (no lanes: lanes.py), and spinning threads take the CPU they need
(benchmarks/ingest.py: CPU efficiency 0.69 with spinning vs 0.91 without on 2 cores).
The text graph spins only while it runs (``session.force_spinning_stop``): its ~600 small
nodes then hand work to the other thread without waking it, and nothing spins
into the vector scan that follows. On 2 cores, ViT-B-32, 100k rows (benchmarks/search.py
twice each, alternating): encode + scan a median 26.4 / 27.7 ms vs 28.1 / 28.8 ms without
spinning. Spinning after the run too was much slower: 38-82 ms per query, the threads
still spinning through the scan."""


def cached_export(spec: ModelSpec, weights_dir: Path, onnx_dir: Path) -> Path | None:
    """The folder of a complete cached ONNX export of ``spec`` (or of a prebuilt one, copied
    into the cache: prebuilt.py), found without open_clip; None when there is none yet (or
    only an old one without the runtime metadata)."""

    known, weights = local_weights(spec)
    if not known:  # a pretrained tag: the download this name resolved to when exported
        known, weights = onnx_export.remembered_weights(onnx_dir, spec.name)
        if not known:  # else a ready-made export downloaded instead of the weights
            return readymade.install(spec, weights_dir, onnx_dir)
    digest = check_hash(spec, weights, weights_dir)
    folder = onnx_export.cache_folder(onnx_dir, spec.name, digest)
    meta = onnx_export.read_meta(folder)
    if onnx_export.is_complete(meta) and meta["weights_sha256"] == digest:
        return folder
    return prebuilt.install_prebuilt(spec, digest, folder)  # the bundle's, copied; else None


def load_onnx(
    spec: ModelSpec,
    weights: Path | None,
    digest: str,
    weights_dir: Path,
    onnx_dir: Path,
    int8: bool,
    threads: int | None,
    image_lanes: int | None = None,
) -> Embedder:
    """Export ``spec`` to ONNX where no complete export is cached, then load it."""

    folder = onnx_export.cache_folder(onnx_dir, spec.name, digest)
    if not onnx_export.is_complete(onnx_export.read_meta(folder)):
        _make_export(spec, digest, folder, weights_dir)
    if not local_weights(spec)[0]:  # a download: remember where, for cached_export
        onnx_export.remember_weights(onnx_dir, spec.name, weights)
    try:
        return onnx_embedder(spec, folder, weights_dir, int8, threads, image_lanes)
    except Exception as exc:  # a damaged or half-written export: clear it and export again
        log.warning("the cached ONNX export in %s is unusable (%s); exporting again", folder, exc)
        shutil.rmtree(folder, ignore_errors=True)
        _make_export(spec, digest, folder, weights_dir)
        return onnx_embedder(spec, folder, weights_dir, int8, threads, image_lanes)


def _make_export(spec: ModelSpec, digest: str, folder: Path, weights_dir: Path) -> None:
    """Fill ``folder`` with the export of ``spec``: the prebuilt one copied in, else exported."""
    if prebuilt.install_prebuilt(spec, digest, folder) is None:
        export_model(spec, digest, folder, weights_dir)


def export_model(spec: ModelSpec, digest: str, folder: Path, weights_dir: Path) -> None:
    """Export ``spec`` (weights hashing to ``digest``) into ``folder`` with torch and
    open_clip, whatever is cached or prebuilt (packaging/export_test_model.py uses it)."""
    from clipdesk.embedding.torch_model import load_torch_model, open_clip_tokenizer

    log.info("exporting %s to ONNX in %s (once)", spec.name, folder)
    model, _ = load_torch_model(spec, weights_dir)
    cfg = dict(model.visual.preprocess_cfg)
    size = cfg["size"] if isinstance(cfg["size"], int) else cfg["size"][0]
    theirs = open_clip_tokenizer(spec, weights_dir)
    context = int(getattr(theirs, "context_length", None) or getattr(model, "context_length", 77))
    tokenizer, files = _describe_tokenizer(theirs)
    onnx_export.export(
        model,
        size,
        context,
        cfg,
        folder,
        tokenizer=tokenizer,
        weights_sha256=digest,
        files=files,
        sample_tokens=theirs(list(_TOKENIZER_PROBES)).numpy(),
    )


# Strings on which the torch-free tokenizer must equal open_clip's before an export
# trusts it (the full parity tests are tests/test_tokenizer.py, tests/test_multilingual.py).
_TOKENIZER_PROBES = (
    "",
    "a photo of a Dog",
    "caf\u00e9 &amp; \u6771\u4eac \U0001f642",
    "x " * 90,
    "ein Foto von einem Hund am Strand",
    "\u0444\u043e\u0442\u043e\u0433\u0440\u0430\u0444\u0438\u044f  "
    "\u0441\u043e\u0431\u0430\u043a\u0438",
    "\u0635\u0648\u0631\u0629 \u0643\u0644\u0628",
)


def _describe_tokenizer(theirs) -> tuple[dict, dict[str, str]]:
    """How to tokenize at run time, and the files that takes: CLIP's BPE (torch-free) where
    the model uses open_clip's plain SimpleTokenizer; a Hugging Face "fast" tokenizer run by
    the ``tokenizers`` library (torch-free: its tokenizer.json is copied into the export);
    else ``open_clip`` (SigLIP's and the like keep needing it)."""
    from open_clip.tokenizer import HFTokenizer, SimpleTokenizer, get_clean_fn

    from clipdesk.embedding.tokenizer import CLEAN_KINDS, ClipTokenizer

    probes = list(_TOKENIZER_PROBES)
    clean = next((k for k in CLEAN_KINDS if theirs.clean_fn is get_clean_fn(k)), None)
    if clean is None:
        clean = next(
            (k for k in CLEAN_KINDS if _same_clean(theirs.clean_fn, get_clean_fn(k))), None
        )
    if type(theirs) is SimpleTokenizer and theirs.reduction_fn is None:
        if clean and theirs.vocab_size == 49408:
            ours = ClipTokenizer(theirs.context_length, clean)
            if np.array_equal(ours(probes), theirs(probes).numpy()):
                kind = {"kind": "clip-bpe", "clean": clean}
                return {**kind, "context_length": int(theirs.context_length)}, {}
    if type(theirs) is HFTokenizer and not theirs.tokenizer_mode and clean:
        backend = getattr(theirs.tokenizer, "backend_tokenizer", None)
        if backend is not None:
            from clipdesk.embedding.hf_tokenizer import HfTokenizer

            hf = theirs.tokenizer
            desc = {
                "kind": "hf-tokenizers",
                "file": "tokenizer.json",
                "clean": clean,
                "context_length": int(theirs.context_length),
                "pad_id": int(hf.pad_token_id or 0),
                "pad_token": str(hf.pad_token or "<pad>"),
                "sep_id": int(hf.sep_token_id) if theirs.strip_sep_token else None,
            }
            text = backend.to_str()
            args = {
                k: desc[k] for k in ("clean", "context_length", "pad_id", "pad_token", "sep_id")
            }
            if np.array_equal(HfTokenizer(text, **args)(probes), theirs(probes).numpy()):
                return desc, {"tokenizer.json": text}
    return {"kind": "open_clip"}, {}


def _same_clean(fn, other) -> bool:
    """open_clip builds some clean functions with functools.partial: compare by behaviour."""
    samples = ("  A  Caf\u00e9 &amp;\tdog_Photo! ", "x")
    return all(fn(s) == other(s) for s in samples)


class _OnnxGraphs:
    """The image and text graphs of one export, each opened on first use: a search needs
    only the text graph and indexing only the image one (ViT-B-32's take about 0.3 and
    0.8 s to open, their weights mapped from the file beside each graph). A graph that will
    not open is copied from the prebuilt export or exported again (torch), once."""

    def __init__(
        self, folder: Path, suffix: str, threads: dict[str, int | None], reexport: Callable
    ):
        self.folder, self.suffix, self.threads = folder, suffix, threads  # per graph
        self._reexport = reexport
        self._sessions: dict[str, object] = {}
        self._lock = threading.Lock()
        self.io: dict[str, dict] = OWN_IO

    def encode(self, part: str, batch: np.ndarray) -> np.ndarray:
        """Run ``part`` on ``batch`` with the export's conventions (``io`` in its metadata:
        a ready-made export's input name and type, a batch of one); float32 out."""
        io = self.io[part]
        session = self._session_for(part)
        dtype = _INPUT_TYPES.get(session.get_inputs()[0].type)
        if dtype is not None and batch.dtype != dtype:
            batch = batch.astype(dtype)
        if io.get("batch_of_one") and len(batch) != 1:
            rows = [self.run(part, {io["input"]: batch[i : i + 1]}) for i in range(len(batch))]
            return np.concatenate(rows).astype(np.float32, copy=False)
        return np.asarray(self.run(part, {io["input"]: batch}), dtype=np.float32)

    def _session_for(self, part: str):
        session = self._sessions.get(part)
        if session is None:
            with self._lock:
                session = self._sessions.get(part)
                if session is None:
                    session = self._sessions[part] = self._open(part)
        return session

    def run(self, part: str, feed: dict[str, np.ndarray]) -> np.ndarray:
        return self._session_for(part).run(None, feed)[0]

    def _open(self, part: str):
        path = self.folder / f"{part}{self.suffix}"
        try:
            return self._session(path)
        except Exception as exc:  # a damaged graph file: clear the export and export again
            log.warning("the cached ONNX graph %s is unusable (%s); exporting again", path, exc)
            self._reexport()
            return self._session(path)

    def _options(self, path: Path):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        part = path.name.split(".")[0]
        if self.threads.get(part):
            opts.intra_op_num_threads = self.threads[part]
        if not ONNX_SPINNING.get(part, True):
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        else:  # spin between the graph's nodes, not after it: the vector scan comes next
            opts.add_session_config_entry("session.force_spinning_stop", "1")
        return opts

    def _session(self, path: Path):
        """A session over ``path``, through its optimised copy when one was saved (the
        graph optimisations skipped): the first session saves it beside the export."""
        import onnxruntime as ort

        if path.name.split(".")[0] not in SAVE_OPTIMISED:
            return ort.InferenceSession(str(path), self._options(path), providers=CPU)
        saved = optimised_path(path, ort.__version__)
        if saved.is_file():
            try:
                return ort.InferenceSession(str(saved), self._saved_options(path), providers=CPU)
            except Exception as exc:  # a damaged copy: back to the export, saved again
                log.warning("the optimised graph %s is unusable (%s); removed", saved, exc)
                saved.unlink(missing_ok=True)
                onnx_export.weights_file(saved).unlink(missing_ok=True)
        try:
            self._save_optimised(path, saved)
        except Exception as exc:  # a read-only cache, a full disk: open without saving
            log.info("could not save the optimised graph %s: %s", saved, exc)
            return ort.InferenceSession(str(path), self._options(path), providers=CPU)
        return ort.InferenceSession(str(saved), self._saved_options(path), providers=CPU)

    def _saved_options(self, path: Path):
        """Options for a saved optimised copy: optimised already, so not again at load.
        ViT-B-32's text graph (2 cores, 4 fresh processes each, alternating) opened in
        304-350 ms vs 355-409 ms, and then encoded a query in a median 20.2-22.4 ms vs
        22.0-23.6 ms; ORT_ENABLE_ALL's layout passes are for convolutions, which it has none."""
        import onnxruntime as ort

        opts = self._options(path)
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        return opts

    def _save_optimised(self, path: Path, saved: Path) -> None:
        """Optimise ``path`` once and save the result as ``saved``, its weights in
        ``<saved name>.data`` beside it (mapped at load, not parsed: see onnx_export), the
        weights file in place before the graph that names it."""
        import onnxruntime as ort

        opts = self._options(path)
        opts.graph_optimization_level = getattr(ort.GraphOptimizationLevel, OPTIMISED_LEVEL)
        with onnx_export.writing_graph(saved) as graph:
            opts.optimized_model_filepath = str(graph)
            opts.add_session_config_entry(
                "session.optimized_model_external_initializers_file_name",
                onnx_export.weights_file(saved).name,
            )
            opts.add_session_config_entry(
                "session.optimized_model_external_initializers_min_size_in_bytes", "1024"
            )
            ort.InferenceSession(str(path), opts, providers=CPU)


CPU = ["CPUExecutionProvider"]
OWN_IO = {"image": {"input": "pixels"}, "text": {"input": "tokens"}}
"""ClipDesk's own export's input names (onnx_export.py); a ready-made one names its own."""
_INPUT_TYPES = {
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
}
SAVE_OPTIMISED = ("text",)
"""The graphs whose optimised copy is saved: a search opens the text graph in every cold
process (ViT-B-32: ~0.31 s from the copy vs ~0.40 s optimising at load); the image graph
opens once per indexing run, and its copy would cost another 350 MB of disk (ViT-B-32)."""


OPTIMISED_LEVEL = "ORT_ENABLE_EXTENDED"
"""What a saved optimised copy holds: the portable optimisations (fusions, constant
folding), not ORT_ENABLE_ALL's layout ones, which depend on the CPU and run at each load."""


def optimised_path(graph: Path, ort_version: str) -> Path:
    """Where a graph's optimised copy is saved: beside it, named for the ORT version."""
    return graph.with_name(f"{graph.name.removesuffix('.onnx')}.opt-ort{ort_version}.onnx")


class _LazyTransform:
    """The export's ``preprocess.ImageTransform``, built on the first image: a search never
    needs it (nor PIL.ImageOps)."""

    def __init__(self, cfg: dict):
        self.cfg = cfg
        self._transform = None

    @property
    def transform(self):
        if self._transform is None:
            from clipdesk.embedding.preprocess import ImageTransform

            self._transform = ImageTransform.from_cfg(self.cfg)
        return self._transform

    def __call__(self, image: Image.Image) -> np.ndarray:
        return self.transform(image)

    def __getattr__(self, name: str):  # its settings (size, mean, std, resize_mode, ...)
        if name.startswith("_") or name == "cfg":
            raise AttributeError(name)
        return getattr(self.transform, name)


def onnx_embedder(
    spec: ModelSpec,
    folder: Path,
    weights_dir: Path,
    int8: bool,
    threads: int | None,
    image_lanes: int | None = None,
) -> Embedder:
    """An Embedder over a complete export: ONNX Runtime sessions (opened on first use), the
    numpy/PIL transform and (for CLIP's BPE) the torch-free tokenizer. With ``image_lanes``
    over 1 (None: one per core it may use), the image graph runs each call on one intra-op
    thread, for callers that encode that many batches at once (the indexer: lanes.py)."""
    # ONNX Runtime now, at load, not inside the first batch: its module holds the GIL for
    # 45-60 ms as it initialises, and within a batch, beside the decode threads, it was
    # caught in the window's longest stalls (benchmarks/gui_responsiveness.py).
    import onnxruntime  # noqa: F401

    from clipdesk.embedding.tokenizer import ClipTokenizer

    meta = onnx_export.read_meta(folder)
    if not onnx_export.is_complete(meta):
        raise ValueError("the export's metadata is missing or incomplete")
    if int8:
        onnx_export.quantise(folder)

    def reexport() -> None:
        if "source" in meta:  # a ready-made export: its files are downloaded again
            readymade.discard(spec, weights_dir, folder.parent)
            raise ModelUnavailable(
                f"the downloaded ONNX export of {spec.name} is damaged and was removed; "
                "run again to download it again"
            )
        shutil.rmtree(folder, ignore_errors=True)
        _make_export(spec, meta["weights_sha256"], folder, weights_dir)
        if int8:
            onnx_export.quantise(folder)

    cores = threads or usable_cores()
    lanes = image_lanes or min(cores, MAX_LANES)
    per_graph = {"text": threads, "image": max(1, cores // lanes) if lanes > 1 else threads}
    graphs = _OnnxGraphs(folder, ".int8.onnx" if int8 else ".onnx", per_graph, reexport)
    graphs.io = meta.get("io") or graphs.io
    tok = meta["tokenizer"]
    if tok.get("kind") == "clip-bpe":
        tokenizer: Callable = ClipTokenizer(tok["context_length"], tok["clean"])
    elif tok.get("kind") == "hf-tokenizers":
        from clipdesk.embedding.hf_tokenizer import HfTokenizer

        tokenizer = HfTokenizer.from_file(
            folder / tok["file"],
            context_length=tok["context_length"],
            clean=tok["clean"],
            pad_id=tok["pad_id"],
            pad_token=tok["pad_token"],
            sep_id=tok["sep_id"],
        )
    else:
        from clipdesk.embedding.torch_model import open_clip_tokenizer

        theirs = open_clip_tokenizer(spec, weights_dir)
        tokenizer = lambda texts: theirs(texts).numpy()  # noqa: E731
    dynamic = bool(meta["text_dynamic_length"])

    def encode_tokens(tokens: np.ndarray) -> np.ndarray:
        if dynamic and len(tokens):  # only up to the last end-of-text token (argmax pooling)
            tokens = np.ascontiguousarray(tokens[:, : int(tokens.argmax(axis=1).max()) + 1])
        return graphs.encode("text", tokens)

    label = "onnx-cpu-int8" if int8 else "onnx-cpu"
    log.info("loaded %s on %s from %s", spec.name, label, folder)
    return Embedder(
        spec.name,
        label,
        int(meta["dim"]),
        int(meta["image_size"]),
        _LazyTransform(meta["preprocess_cfg"]),
        tokenizer,
        lambda x: graphs.encode("image", x),
        encode_tokens,
        {"onnx_folder": str(folder), "text_dynamic_length": dynamic},
        logit_scale=float(meta["logit_scale"]),
        image_lanes=lanes,
    )


MAX_LANES = 8
"""Image batches encoded at once by default, at most (lanes.py); on more cores each lane's
calls get more intra-op threads. Each lane holds a batch's activations."""


def usable_cores() -> int:
    """The cores this process may run on (its affinity where the OS says; else all)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1
