"""One interface over every backend: torch on CUDA (fp16), MPS or CPU, and ONNX Runtime.

``load_embedder`` picks the backend (``plan_backend``: CUDA -> MPS -> ONNX Runtime CPU
unless one is forced; a GPU only where torch and open_clip are installed, the gpu extra,
and torch sees the device) and says why (``BackendPlan``: `clipdesk status`). On ONNX
Runtime with the export cached or prebuilt it needs neither torch nor open_clip
(onnx_runtime.py runs the export). torch and open_clip are imported only to export a model
once (the export extra), or to run on a torch backend (here). Every backend returns
L2-normalised float32 vectors (``embedder.Embedder``).
"""

from __future__ import annotations

import ctypes
import logging
import os
import platform
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from clipdesk.embedding import prebuilt, readymade
from clipdesk.embedding.embedder import Embedder
from clipdesk.embedding.onnx_runtime import cached_export, load_onnx, onnx_embedder
from clipdesk.embedding.prebuilt import GPU_EXTRA, missing_torch_stack
from clipdesk.embedding.registry import ModelSpec, ModelUnavailable, local_weights, parse_model
from clipdesk.embedding.torch_model import load_torch_model, open_clip_tokenizer
from clipdesk.embedding.weights import check_hash, weights_file

if TYPE_CHECKING:
    from clipdesk.embedding.download import DownloadHooks

log = logging.getLogger(__name__)

BACKENDS = ("auto", "cuda", "mps", "cpu", "onnx")


def choose_backend(preference: str, cuda_available: bool, mps_available: bool) -> str:
    """The backend to use: a forced one if it can run here, else CUDA -> MPS -> ONNX CPU."""
    if preference not in BACKENDS:
        raise ModelUnavailable(
            f"unknown backend {preference!r}; choose one of {', '.join(BACKENDS)}"
        )
    if preference == "cuda" and not cuda_available:
        raise ModelUnavailable("the CUDA backend was asked for, but torch sees no CUDA GPU here")
    if preference == "mps" and not mps_available:
        raise ModelUnavailable("the MPS backend was asked for, but this is not an Apple GPU")
    if preference != "auto":
        return preference
    if cuda_available:
        return "cuda"
    if mps_available:
        return "mps"
    return "onnx"


LABELS = {"cuda": "cuda-fp16", "mps": "mps", "cpu": "torch-cpu", "onnx": "onnx-cpu"}
WHERE = {
    "cuda": "GPU (torch, CUDA)",
    "mps": "GPU (torch, Apple MPS)",
    "cpu": "CPU (torch)",
    "onnx": "CPU (ONNX Runtime)",
}


@dataclass(frozen=True)
class BackendPlan:
    """The backend a run takes (cuda, mps, cpu, onnx) and why, in words for the user.
    ``usable`` False: the backend was asked for but cannot run here, and ``why`` says so."""

    backend: str
    why: str
    int8: bool = False
    usable: bool = True
    broken: bool = False  # torch is installed but fails to import: ONNX Runtime instead

    @property
    def label(self) -> str:
        """The Embedder's name for it: cuda-fp16, mps, torch-cpu, onnx-cpu, onnx-cpu-int8."""
        int8 = self.int8 and self.backend == "onnx"
        return LABELS[self.backend] + ("-int8" if int8 else "")

    @property
    def where(self) -> str:
        """Where it runs, for the window: 'CPU (ONNX Runtime)'."""
        return WHERE[self.backend] + (", int8" if self.int8 and self.backend == "onnx" else "")

    def __str__(self) -> str:  # `clipdesk status`: "onnx-cpu, CPU (ONNX Runtime): why"
        return f"{self.label}, {WHERE[self.backend]}: {self.why}"


def explain_backend(
    preference: str,
    missing: list[str],
    gpu_possible: bool,
    cuda_available: bool,
    mps_available: bool,
    int8: bool = False,
    broken: str | None = None,
) -> BackendPlan:
    """The backend for ``preference`` and why (pure: the facts are arguments). ``missing``:
    what of the torch stack is not installed; ``gpu_possible``: a GPU driver or an Apple
    GPU is there; ``cuda_available``/``mps_available``: torch sees that device; ``broken``:
    the error importing an installed torch gave (then it counts as not installed). A backend
    asked for that cannot run is a plan with ``usable`` False whose ``why`` is the error."""
    if preference not in BACKENDS:
        choose_backend(preference, False, False)  # raises: unknown backend
    if broken and preference in ("cuda", "mps", "cpu"):
        why = prebuilt.broken_torch_message(preference, broken)
        return BackendPlan(preference, why, int8, usable=False)
    if broken and preference == "auto":
        why = prebuilt.broken_torch_message("auto", broken)
        return BackendPlan("onnx", why, int8, broken=True)
    if preference in ("cuda", "mps", "cpu") and missing:
        return BackendPlan(preference, prebuilt.no_torch_backend_message(preference), int8, False)
    if missing:  # no torch backend can run, whatever the probes said
        cuda_available = mps_available = False
    try:
        chosen = choose_backend(preference, cuda_available, mps_available)
    except ModelUnavailable as exc:  # a GPU asked for that torch does not see
        return BackendPlan(preference, str(exc), int8, usable=False)
    absent = " and ".join(missing) + (" are" if len(missing) > 1 else " is") + " not installed"
    if preference != "auto":
        why = f"asked for (--backend {preference} or the settings)"
    elif chosen == "cuda":
        why = "torch sees a CUDA GPU"
    elif chosen == "mps":
        why = "torch sees the Apple GPU"
    elif missing and gpu_possible:
        why = f"{absent}; {GPU_EXTRA} to use the GPU"
    elif missing:
        why = f"{absent}, and there is no GPU here"
    elif not gpu_possible:
        why = "there is no GPU here"
    else:
        why = "torch sees no CUDA or Apple GPU (a CPU-only build of torch?)"
    return BackendPlan(chosen, why, int8)


def plan_backend(
    preference: str,
    int8: bool = False,
    cuda_probe: Callable[[], bool] | None = None,
    mps_probe: Callable[[], bool] | None = None,
    ask_torch: bool = True,
) -> BackendPlan | None:
    """The backend a run with ``preference`` takes here, and why. torch is imported only
    where it is installed and a probe says a GPU could exist (``accelerators``: 2 s); with
    ``ask_torch`` False, that case is None (the window's GUI thread never imports torch)."""
    cuda_probe = cuda_probe or cuda_driver_present
    mps_probe = mps_probe or apple_silicon
    maybe_cuda, maybe_mps = cuda_probe(), mps_probe()
    gpu_possible = maybe_cuda or maybe_mps
    torch_runs = preference in ("cuda", "mps", "cpu") or (preference == "auto" and gpu_possible)
    if ask_torch and torch_runs:
        prebuilt.check_torch_stack()  # torch runs it: a broken install is no torch
    missing = missing_torch_stack()
    seen = (False, False)
    if not missing and (maybe_cuda or maybe_mps) and preference not in ("onnx", "cpu"):
        if ask_torch:
            seen = accelerators(lambda: maybe_cuda, lambda: maybe_mps)
        elif preference == "auto":
            return None
        else:  # taken as asked: loading the model says if torch sees no such GPU
            seen = (preference == "cuda", preference == "mps")
    broken = prebuilt.torch_broken()
    return explain_backend(preference, missing, gpu_possible, *seen, int8=int8, broken=broken)


def cuda_driver_present() -> bool:
    """Whether a GPU driver torch could use is installed, without importing torch: the
    NVIDIA driver library loads, or the NVIDIA or ROCm (``/dev/kfd``) kernel driver is
    there. False means no CUDA device can exist; True means torch should be asked."""
    if os.path.exists("/proc/driver/nvidia") or os.path.exists("/dev/kfd"):
        return True
    names = ("nvcuda.dll",) if sys.platform == "win32" else ("libcuda.so.1", "libcuda.so")
    for name in names:
        try:
            ctypes.CDLL(name)
        except OSError:
            continue
        return True
    return False


def apple_silicon() -> bool:
    """Whether this is an Apple-silicon Mac, the only place an MPS device can exist."""
    return sys.platform == "darwin" and platform.machine() == "arm64"


def accelerators(
    cuda_probe: Callable[[], bool] = cuda_driver_present,
    mps_probe: Callable[[], bool] = apple_silicon,
) -> tuple[bool, bool]:
    """(CUDA usable, MPS usable). torch (2 s to import) is asked only where a probe says
    a GPU could exist; elsewhere the answer is (False, False) without importing it."""
    maybe_cuda, maybe_mps = cuda_probe(), mps_probe()
    if not (maybe_cuda or maybe_mps):
        return False, False
    try:
        import torch
    except ModuleNotFoundError:  # a build without torch (the bundle): ONNX Runtime on the CPU
        return False, False
    except Exception as exc:  # installed but broken: no torch, and plan_backend says why
        prebuilt.note_broken(exc)
        return False, False

    mps = getattr(torch.backends, "mps", None)
    cuda = maybe_cuda and torch.cuda.is_available()
    return cuda, bool(maybe_mps and mps and mps.is_available())


@prebuilt.without_torch
def load_embedder(
    model: str | ModelSpec,
    backend: str = "auto",
    int8: bool = False,
    weights_dir: Path | None = None,
    onnx_dir: Path | None = None,
    threads: int | None = None,
    download: DownloadHooks | None = None,
    image_lanes: int | None = None,
) -> Embedder:
    """Load ``model`` on the chosen backend. Raises ModelUnavailable with a user-facing reason.
    Weights that must be downloaded first report their progress to ``download``.

    ``threads``: the cores ONNX Runtime may use (None: all). ``image_lanes``: on ONNX
    Runtime, how many image batches the caller encodes at once, each on one core (the
    indexer's lanes: lanes.py); None: one per thread; 1: each call on ``threads`` threads.

    On ONNX Runtime with a complete cached export this imports neither torch nor open_clip.
    """
    spec = model if isinstance(model, ModelSpec) else parse_model(model)
    from clipdesk.home import app_paths

    paths = app_paths()
    weights_dir = weights_dir or paths.model_weights
    onnx_dir = onnx_dir or paths.onnx_models
    plan = plan_backend(backend, int8)
    assert plan is not None  # torch asked
    if not plan.usable:
        raise ModelUnavailable(plan.why)
    if plan.broken:  # one line: what runs instead, and what repairs torch
        log.warning("clipdesk: %s", plan.why)
    chosen = plan.backend
    if chosen == "onnx":
        cached = cached_export(spec, weights_dir, onnx_dir)
        if cached is not None:
            try:
                return onnx_embedder(spec, cached, weights_dir, int8, threads, image_lanes)
            except ModuleNotFoundError:  # open_clip's tokenizer, in a build without it: kept
                raise
            except Exception as exc:  # a damaged export: clear it and export again below
                log.warning(
                    "the cached ONNX export in %s is unusable (%s); exporting again", cached, exc
                )
                shutil.rmtree(cached, ignore_errors=True)
        source = readymade.wanted(spec)
        if source is not None:  # no torch, and a ready-made export: download that instead
            readymade.download(source, weights_dir, download)
            folder = readymade.install(spec, weights_dir, onnx_dir)
            assert folder is not None  # downloaded just now
            return onnx_embedder(spec, folder, weights_dir, int8, threads, image_lanes)
        if missing_torch_stack() and not local_weights(spec)[0]:
            # Nothing to run and no way to export it: say so before downloading the weights.
            raise ModelUnavailable(prebuilt.no_torch_message(spec.name))
    weights = weights_file(spec, weights_dir, download)
    digest = check_hash(spec, weights, weights_dir)
    if chosen == "onnx":
        return load_onnx(spec, weights, digest, weights_dir, onnx_dir, int8, threads, image_lanes)
    return _load_torch(spec, chosen, weights_dir)


def _load_torch(spec: ModelSpec, device: str, cache_dir: Path) -> Embedder:
    # GPU-ONLY PATHS: "cuda" (fp16) and "mps" have not run on the project's machines, which
    # have no GPU; tests cover the selection logic (choose_backend) and the same code on
    # device "cpu" (torch-cpu, held to ONNX by the parity test).
    import torch

    model, preprocess = load_torch_model(spec, cache_dir)
    tokenizer = open_clip_tokenizer(spec, cache_dir)
    dtype = torch.float16 if device == "cuda" else torch.float32
    dev = torch.device(device)
    model = model.to(dev, dtype)

    def encode_device(batch) -> np.ndarray:
        with torch.inference_mode():
            return model.encode_image(batch.to(dev, dtype)).float().cpu().numpy()

    def encode_images(x: np.ndarray) -> np.ndarray:
        t = torch.from_numpy(x)
        if device == "cuda":  # GPU-ONLY: page-locked host memory, asynchronous copy
            t = t.pin_memory()
        return encode_device(t.to(dev, dtype, non_blocking=True))

    def encode_tokens(t: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return model.encode_text(torch.from_numpy(t).to(dev)).float().cpu().numpy()

    size = model.visual.preprocess_cfg["size"]
    size = size if isinstance(size, int) else size[0]
    dim = int(encode_tokens(tokenizer(["a"]).numpy()).shape[-1])
    label = LABELS[device]
    log.info("loaded %s on %s", spec.name, label)
    scale = float(model.logit_scale.detach().exp()) if hasattr(model, "logit_scale") else 100.0
    return Embedder(
        spec.name,
        label,
        dim,
        size,
        lambda image: preprocess(image).numpy(),
        lambda texts: tokenizer(texts).numpy(),
        encode_images,
        encode_tokens,
        {"preprocess_cfg": dict(model.visual.preprocess_cfg)},
        logit_scale=scale,
        device_images=_device_images(device, model.visual.preprocess_cfg, dtype),
        _encode_device=encode_device,
    )


def _device_images(device: str, cfg: dict, dtype):
    """JPEG decode on the device for CUDA (nvJPEG), where it works and the model's
    transform is a common one (square, shortest-side or squash resize, bicubic); else None."""
    # GPU-ONLY: only "cuda" gets here with a result; never run on the project's machines.
    from clipdesk.embedding.gpu import DeviceImages, nvjpeg_available

    size = cfg.get("size", 224)
    size = size if isinstance(size, int) else (size[0] if size[0] == size[-1] else None)
    mode = cfg.get("resize_mode") or "shortest"
    common = mode in ("shortest", "squash") and size
    common = common and cfg.get("interpolation", "bicubic") != "bilinear"
    if device != "cuda" or not common or not nvjpeg_available("cuda"):
        return None
    from clipdesk.embedding.preprocess import OPENAI_MEAN, OPENAI_STD

    mean, std = cfg.get("mean") or OPENAI_MEAN, cfg.get("std") or OPENAI_STD
    return DeviceImages("cuda", size, mean, std, dtype=dtype, resize_mode=mode)
