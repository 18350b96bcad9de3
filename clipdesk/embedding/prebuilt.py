"""Prebuilt ONNX exports: how an installation without torch runs a model.

Exporting a model to ONNX needs torch and open_clip (the export extra); running the export
needs neither. Two kinds of export come ready-made, read-only:

- the test model's own, package data beside its weights (``models/test/onnx/``, made by
  ``packaging/export_test_model.py``), so that the light ``pip install clipdesk`` runs it;
- the PyInstaller bundle's (``packaging/build.sh``), in ``$CLIPDESK_PREBUILT_ONNX``, else
  ``prebuilt-onnx`` inside a frozen app, laid out like the user's ONNX cache
  (``onnx_export.cache_folder``).

Either is used only when it is complete and made from the same weights (its
``weights_sha256``), as a cached export is; with torch too, so that every install runs the
same graphs and none exports the test model again. It is copied into the user's cache
before use (``install_prebuilt``), so what is written beside an export (the int8 graphs,
the text graph's optimised copy) and the clearing of a damaged one happen there, never in
the shipped folder. A model with no export in a process without torch is one
``ModelUnavailable`` naming the extra that exports it (``without_torch``), unless a public
export of it can be downloaded instead (readymade.py).
"""

from __future__ import annotations

import functools
import importlib.util
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
TORCH_STACK = ("torch", "open_clip")
"""What a torch backend and an export import directly (open_clip brings torchvision)."""

F = TypeVar("F", bound=Callable)


def missing_torch_stack() -> list[str]:
    """Which of torch and open_clip cannot be imported here (the light install: both),
    found without importing them; both once importing them was found to fail (a broken
    torch is treated as no torch: ``torch_broken``)."""
    missing = []
    for name in TORCH_STACK:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # a broken or half-removed install
            found = False
        if not found or _broken:
            missing.append(name)
    return missing


_broken: list[str] = []  # why importing the installed torch stack fails, once seen
_checked: list[bool] = []  # check_torch_stack has imported it (or seen it fail)


def torch_broken() -> str | None:
    """Why the installed torch stack fails to import, as seen so far in this process (the
    error's last line, e.g. ``RuntimeError: operator torchvision::nms does not exist`` from
    mismatched wheels); None when no import of it failed. Imports nothing."""
    return _broken[0] if _broken else None


def check_torch_stack() -> str | None:
    """Import torch, torchvision and open_clip (seconds, once per process) where they are
    installed, to learn whether they work: ``torch_broken`` afterwards. Call it only where
    they are about to be imported anyway (a torch backend, an export)."""
    if not _checked and not missing_torch_stack():
        _checked.append(True)
        for name in TORCH_MODULES:
            try:
                importlib.import_module(name)
            except Exception as exc:  # any error at all: the wheels do not fit together
                note_broken(exc)
                break
    return torch_broken()


def note_broken(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    why = f"{type(exc).__name__}: {lines[-1]}" if lines else type(exc).__name__
    log.info("importing torch failed (%s)", why, exc_info=exc)  # -v: the whole traceback
    if not _broken:
        _broken.append(why)
    return why


def failed_torch_import(exc: BaseException) -> bool:
    """Whether ``exc`` was raised while a module of the torch stack was being imported (its
    top-level code is in the traceback): a broken install, not a bug of ours."""
    tb = exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        module = str(frame.f_globals.get("__name__", ""))
        if frame.f_code.co_name == "<module>" and module.split(".")[0] in TORCH_MODULES:
            return True
        tb = tb.tb_next
    return False


def prebuilt_root() -> Path | None:
    """The folder of prebuilt exports: ``$CLIPDESK_PREBUILT_ONNX``, else the frozen app's own;
    None for an ordinary install, which exports what it needs."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    bundle = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle:
        return Path(bundle) / BUNDLE_FOLDER
    return None


TEST_MODEL_EXPORT = "onnx"
"""The test model's export, in its own folder (package data): ``models/test/onnx/``."""


def prebuilt_export(spec: ModelSpec, digest: str) -> Path | None:
    """The prebuilt export of ``spec`` made from the weights whose SHA-256 is ``digest``: the
    bundle's (or ``$CLIPDESK_PREBUILT_ONNX``'s), else the test model's package data; None
    when there is none (or only an incomplete one, or one of other weights)."""
    from clipdesk.embedding import onnx_export
    from clipdesk.embedding.registry import TEST_MODEL_DIR, TEST_MODEL_NAME

    folders = []
    root = prebuilt_root()
    if root is not None:
        folders.append(onnx_export.cache_folder(root, spec.name, digest))
    if spec.name == TEST_MODEL_NAME:
        folders.append(TEST_MODEL_DIR / TEST_MODEL_EXPORT)
    for folder in folders:
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


GPU_EXTRA = "pip install 'clipdesk[gpu]'"
EXPORT_EXTRA = "pip install 'clipdesk[export]'"
REPAIR_TORCH = "`pip install --force-reinstall 'clipdesk[gpu]'`"
LIGHT_INSTALL = "`pip uninstall torch torchvision open_clip_torch`"


def broken_torch_message(backend: str = "auto", error: str | None = None) -> str:
    """What a broken torch (``error``: the import's error, default ``torch_broken()``) means
    for ``backend``: auto runs ONNX Runtime on the CPU; a torch backend cannot run."""
    error = error or torch_broken()
    if backend in ("cpu", "cuda", "mps"):
        return (
            f"the {backend} backend needs torch, which is installed but broken ({error}); "
            f"repair it with {REPAIR_TORCH}, or use --backend onnx (ONNX Runtime on the CPU)"
        )
    return (
        f"torch is installed but broken ({error}), so ONNX Runtime runs on the CPU instead. "
        f"To use the GPU, repair torch: {REPAIR_TORCH}. To keep the light install, remove "
        f"it: {LIGHT_INSTALL}"
    )


def no_torch_backend_message(backend: str) -> str:
    """What an installation without torch says for a torch backend (cpu, cuda, mps)."""
    where = {"cpu": "torch on the CPU", "cuda": "torch on CUDA", "mps": "torch on MPS"}
    return (
        f"the {backend} backend ({where[backend]}) needs torch and open_clip, which this "
        f"installation of ClipDesk does not have ({GPU_EXTRA} adds them): "
        "use --backend onnx (ONNX Runtime on the CPU)"
    )


def no_torch_message(model_name: str, backend: str = "auto") -> str:
    """What an installation without torch (or with a broken one) says for a model it has no
    export of, or for a torch backend."""
    if torch_broken() and backend in ("cpu", "cuda", "mps"):
        return broken_torch_message(backend)
    if backend in ("cpu", "cuda", "mps"):
        return no_torch_backend_message(backend)
    from clipdesk.embedding.readymade import SOURCES  # the models it downloads an export of

    ready = " and ".join(SOURCES)
    if torch_broken():
        return (
            f"torch is installed but broken ({torch_broken()}), so ClipDesk runs only models "
            f"with an ONNX export (the test model's ships with it: --model test; {ready} "
            f"download a ready-made one); to use {model_name}, repair torch with {REPAIR_TORCH}"
        )
    return (
        f"this installation of ClipDesk has no torch, so it runs only models with an ONNX "
        f"export (the test model's ships with it: --model test; {ready} download a "
        f"ready-made one); {model_name} has none, so to use it, "
        f"{EXPORT_EXTRA} (or {GPU_EXTRA} for a GPU) and run "
        f"`clipdesk --model {model_name} add FOLDER` once: it exports the model into the "
        "cache, which installations without torch read too"
    )


def without_torch(fn: F) -> F:
    """Wrap ``fn(model, backend=...)`` so that torch or open_clip missing (the bundle), or
    failing to import (a broken install), is a ``ModelUnavailable`` naming what to do, not
    an ImportError or a RuntimeError with a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            name = getattr(exc, "name", None) if isinstance(exc, ModuleNotFoundError) else None
            if (name or "").split(".")[0] not in TORCH_MODULES:  # not torch missing: broken?
                if not failed_torch_import(exc):
                    raise
                first = torch_broken() is None
                note_broken(exc)  # installed but broken: treated as not there from now on
                if first:  # once more, the way without torch (a shipped or ready-made export)
                    return wrapper(*args, **kwargs)
            model = kwargs.get("model", kwargs.get("text", args[0] if args else "?"))
            name = model if isinstance(model, str) else getattr(model, "name", str(model))
            backend = kwargs.get("backend", args[1] if len(args) > 1 else "auto")
            raise ModelUnavailable(no_torch_message(name, str(backend))) from None

    return wrapper  # type: ignore[return-value]
