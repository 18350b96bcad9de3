"""Prebuilt ONNX exports: how a build without torch (the PyInstaller bundle) runs a model.

Exporting a model to ONNX needs torch and open_clip; running the export needs neither. The
bundle leaves torch out and ships the test model's export, made when the bundle is built
(``packaging/build.sh``), in a read-only folder: ``$CLIPDESK_PREBUILT_ONNX``, else
``prebuilt-onnx`` inside a frozen app. Laid out like the user's ONNX cache
(``onnx_export.cache_folder``), an export there is used only when it is complete and made from
the same weights (its ``weights_sha256``), as a cached one is.

It is copied into the user's cache before use (``install_prebuilt``), so what is written
beside an export (the int8 graphs, the text graph's optimised copy) and the clearing of a
damaged one happen there, never in the shipped folder. A model with no export in a process
without torch is one ``ModelUnavailable`` saying what to do (``without_torch``).
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from clipdesk.embedding.errors import ModelUnavailable

if TYPE_CHECKING:
    from clipdesk.embedding.registry import ModelSpec

log = logging.getLogger(__name__)

ENV = "CLIPDESK_PREBUILT_ONNX"
BUNDLE_FOLDER = "prebuilt-onnx"  # inside a PyInstaller bundle (sys._MEIPASS)
TORCH_MODULES = ("torch", "torchvision", "open_clip")
"""What exporting a model or running it on a torch backend imports, and the bundle leaves out."""

F = TypeVar("F", bound=Callable)


def prebuilt_root() -> Path | None:
    """The folder of prebuilt exports: ``$CLIPDESK_PREBUILT_ONNX``, else the frozen app's own;
    None for an ordinary install, which exports what it needs."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    bundle = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle:
        return Path(bundle) / BUNDLE_FOLDER
    return None


def prebuilt_export(spec: ModelSpec, digest: str) -> Path | None:
    """The prebuilt export of ``spec`` made from the weights whose SHA-256 is ``digest``, or
    None when there is none (or only an incomplete one, or one of other weights)."""
    from clipdesk.embedding import onnx_export

    root = prebuilt_root()
    if root is None:
        return None
    folder = onnx_export.cache_folder(root, spec.name, digest)
    meta = onnx_export.read_meta(folder)
    if onnx_export.is_complete(meta) and meta["weights_sha256"] == digest:
        return folder
    return None


def install_prebuilt(spec: ModelSpec, digest: str, dest: Path) -> Path | None:
    """Copy the prebuilt export of ``spec`` (if there is one) into ``dest``, the user's cache
    folder for it, and return ``dest``; None when there is nothing prebuilt to copy."""
    source = prebuilt_export(spec, digest)
    if source is None:
        return None
    log.info("copying the prebuilt ONNX export of %s from %s to %s", spec.name, source, dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".prebuilt-", dir=dest.parent))
        try:
            for item in source.iterdir():
                if item.is_file():  # copyfile: the copy is the user's, writable whatever the source
                    shutil.copyfile(item, work / item.name)
            if dest.exists():  # an incomplete export of the same weights
                shutil.rmtree(dest)
            os.replace(work, dest)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    except OSError as exc:
        raise ModelUnavailable(
            f"cannot copy the prebuilt ONNX export of {spec.name} into {dest.parent}: {exc}"
        ) from None
    return dest


def no_torch_message(model_name: str, backend: str = "auto") -> str:
    """What a build without torch says for a model it has no export of, or a torch backend."""
    if backend == "cpu":
        return (
            "the cpu backend (torch on the CPU) needs torch, which this build of ClipDesk "
            "leaves out: use --backend onnx (ONNX Runtime on the CPU)"
        )
    return (
        f"this build of ClipDesk has no torch, so it runs only models with an ONNX export "
        f"(the test model's ships with it: --model test); to use {model_name}, run it once "
        f"with a full install (pip install clipdesk; `clipdesk --model {model_name} add FOLDER` "
        "exports it into the cache this build reads)"
    )


def without_torch(fn: F) -> F:
    """Wrap ``fn(model, backend=...)`` so that torch or open_clip missing (the bundle) is a
    ``ModelUnavailable`` naming what to do, not an ImportError with a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ModuleNotFoundError as exc:
            if (exc.name or "").split(".")[0] not in TORCH_MODULES:
                raise
            model = kwargs.get("model", kwargs.get("text", args[0] if args else "?"))
            name = model if isinstance(model, str) else getattr(model, "name", str(model))
            backend = kwargs.get("backend", args[1] if len(args) > 1 else "auto")
            raise ModelUnavailable(no_torch_message(name, str(backend))) from None

    return wrapper  # type: ignore[return-value]
