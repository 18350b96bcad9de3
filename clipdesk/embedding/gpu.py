"""The GPU ingest path: how each backend is fed, and JPEG decode on the device.

``plan_ingest`` is plain Python: which decode path (nvJPEG on the GPU, or the CPU's
reduced-size decode), which batch size and whether host batches are pinned, for a backend
label and what is available (injected in tests, which never need a GPU).

``DeviceImages`` decodes JPEG bytes with torchvision (``decode_jpeg``; on CUDA that is
nvJPEG, whole batches at once), turns them upright, makes the thumbnail and the model
input on the device, and encodes. It runs on any torch device: the CPU tests hold it to
the CPU path; on CUDA it is GPU-ONLY code that has never run on the project's machines
(they have no GPU) and that ``benchmarks/gpu.py`` measures where a GPU is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

log = logging.getLogger(__name__)

JPEG_MAGIC = b"\xff\xd8\xff"
GPU_BATCH = {"cuda": 128, "mps": 64}  # images per encoder call on a GPU backend
# ONNX int8 on the CPU with one encoder on every core (no lanes: lanes.py): its quantised
# kernels do less work per node, so the intra-op threads' hand-offs weigh more and a larger
# batch spreads them (benchmarks/README.md, ingest.py). Lanes have no hand-offs: they keep
# the caller's batch (8) for int8 as for fp32.
INT8_BATCH = 16


@dataclass(frozen=True)
class IngestPlan:
    """How the indexer feeds one backend."""

    backend: str  # the Embedder's label: "cuda-fp16", "mps", "onnx-cpu", ...
    decode: str  # "nvjpeg": JPEG bytes decoded on the GPU; "cpu": reduced-size decode
    batch_size: int
    pinned: bool  # host batches copied through page-locked memory (CUDA)


def plan_ingest(
    backend: str, batch_size: int = 8, nvjpeg: Callable[[], bool] = lambda: False, lanes: int = 1
) -> IngestPlan:
    """The plan for ``backend`` (an Embedder label). ``nvjpeg`` says whether the GPU JPEG
    decoder works here; it is asked only on CUDA (it imports torch). ``lanes``: how many
    batches the CPU encodes at once, each on one core (``Embedder.image_lanes``)."""
    if backend.startswith("cuda"):
        decode = "nvjpeg" if nvjpeg() else "cpu"
        return IngestPlan(backend, decode, max(batch_size, GPU_BATCH["cuda"]), True)
    if backend.startswith("mps"):  # no nvJPEG; unified memory needs no pinning
        return IngestPlan(backend, "cpu", max(batch_size, GPU_BATCH["mps"]), False)
    if backend.endswith("int8") and lanes <= 1:
        return IngestPlan(backend, "cpu", max(batch_size, INT8_BATCH), False)
    return IngestPlan(backend, "cpu", batch_size, False)


def nvjpeg_available(device: str = "cuda") -> bool:
    """Whether torchvision decodes JPEGs on ``device`` here (a one-pixel probe)."""
    # GPU-ONLY: on "cuda" this has not run on the project's machines.
    try:
        import torch
        from torchvision.io import decode_jpeg

        if device.startswith("cuda") and not torch.cuda.is_available():
            return False
        probe = torch.frombuffer(bytearray(_tiny_jpeg()), dtype=torch.uint8)
        decode_jpeg(probe, device=device)
    except Exception as exc:  # no torchvision, no nvJPEG, an old driver...
        log.info("JPEG decode on %s is not available: %s", device, exc)
        return False
    return True


def _tiny_jpeg() -> bytes:
    import io

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (128, 64, 32)).save(buf, "JPEG")
    return buf.getvalue()


def orient(x, orientation: int):
    """A CHW tensor turned upright for an EXIF orientation, as PIL's transposes do."""
    import torch

    if orientation == 2:
        return x.flip(-1)
    if orientation == 3:
        return x.flip(-2, -1)
    if orientation == 4:
        return x.flip(-2)
    if orientation == 5:
        return x.transpose(-2, -1)
    if orientation == 6:
        return torch.rot90(x, -1, dims=(-2, -1))
    if orientation == 7:
        return x.transpose(-2, -1).flip(-2, -1)
    if orientation == 8:
        return torch.rot90(x, 1, dims=(-2, -1))
    return x


class DeviceImages:
    """JPEG bytes -> thumbnails and the model's input on one torch device, in batches.

    Preprocessing equals ``preprocess.ImageTransform`` for square inputs with "shortest"
    (resize and centre crop) or "squash" resizing, bicubic, up to resampling: torch's
    antialiased bicubic is not PIL's, so inputs differ slightly (a CPU test bounds it)."""

    def __init__(
        self,
        device: str,
        image_size: int,
        mean: Sequence[float],
        std: Sequence[float],
        thumb_size: int = 256,
        dtype=None,
        resize_mode: str = "shortest",
    ):
        import torch

        self.torch = torch
        self.device = torch.device(device)
        self.dtype = dtype or torch.float32
        self.size, self.thumb_size = image_size, thumb_size
        if resize_mode not in ("shortest", "squash"):
            raise ValueError(f"resize mode {resize_mode!r} is not done on the device")
        self.resize_mode = resize_mode
        self.mean = torch.tensor(mean, device=self.device).view(3, 1, 1)
        self.std = torch.tensor(std, device=self.device).view(3, 1, 1)

    def decode(self, blobs: Sequence[bytes]) -> list:
        """Decode a batch of JPEG files (bytes) on the device; None for each that fails."""
        from torchvision.io import ImageReadMode, decode_jpeg

        torch = self.torch
        datas = [torch.frombuffer(bytearray(b), dtype=torch.uint8) for b in blobs]
        try:
            # GPU-ONLY: one batched nvJPEG call on CUDA.
            return list(decode_jpeg(datas, mode=ImageReadMode.RGB, device=self.device))
        except Exception:  # one bad file fails the batch: find it
            out = []
            for data in datas:
                try:
                    out.append(decode_jpeg(data, mode=ImageReadMode.RGB, device=self.device))
                except Exception:
                    out.append(None)
            return out

    def prepare(self, image, orientation: int):
        """A decoded uint8 CHW tensor -> (model input CHW float tensor, thumbnail PIL image)."""
        torch = self.torch
        F = torch.nn.functional
        x = orient(image, orientation).unsqueeze(0).float()
        h, w = x.shape[-2:]
        short, long = (w, h) if w <= h else (h, w)
        new_long = int(self.size * long / short)
        nw, nh = (self.size, new_long) if w <= h else (new_long, self.size)
        if self.resize_mode == "squash":
            nw = nh = self.size
        r = F.interpolate(x, size=(nh, nw), mode="bicubic", antialias=True, align_corners=False)
        top, left = int(round((nh - self.size) / 2.0)), int(round((nw - self.size) / 2.0))
        r = r[..., top : top + self.size, left : left + self.size].clamp(0, 255).round()
        pixels = ((r[0] / 255.0 - self.mean) / self.std).to(self.dtype)
        scale = min(self.thumb_size / w, self.thumb_size / h, 1.0)
        tw, th = max(1, round(w * scale)), max(1, round(h * scale))
        t = F.interpolate(x, size=(th, tw), mode="bilinear", antialias=True, align_corners=False)
        t = t[0].clamp(0, 255).round().to(torch.uint8).permute(1, 2, 0).cpu().numpy()
        return pixels, Image.fromarray(np.ascontiguousarray(t), "RGB")

    def batch(self, pixels: list, host: np.ndarray | None = None):
        """One device batch from device tensors and (optionally) CPU-prepared pixels."""
        torch = self.torch
        parts = [torch.stack(pixels)] if pixels else []
        if host is not None and len(host):
            t = torch.from_numpy(host)
            if self.device.type == "cuda":  # GPU-ONLY: page-locked copy, overlapped
                t = t.pin_memory()
            parts.append(t.to(self.device, self.dtype, non_blocking=True))
        return torch.cat(parts) if len(parts) > 1 else parts[0]
