"""Where a model's weights file comes from: a local file, the download cache, or a
download from the model hub (asked once whether it answers, so that an offline first run
fails at once with one clear line); and the check of a file against its expected hash."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from clipdesk.embedding.registry import (
    ModelSpec,
    ModelUnavailable,
    download_hint,
    local_weights,
    sha256_file,
)

if TYPE_CHECKING:  # urllib and its ssl load only when a download may happen
    from clipdesk.embedding.download import DownloadHooks


def weights_file(
    spec: ModelSpec, cache_dir: Path, hooks: DownloadHooks | None = None
) -> Path | None:
    """The local weights file, downloading a pretrained tag's weights if needed (with
    progress and cancel through ``hooks``)."""
    is_local, weights = local_weights(spec)
    if is_local:
        return weights
    if hub_source(spec) is not None:
        return download_weights(spec, cache_dir, hooks)
    if spec.pretrained:  # a tag whose weights are a plain URL: open_clip fetches them
        import open_clip

        cfg = open_clip.get_pretrained_cfg(spec.open_clip_name, spec.pretrained)
        online = hub_reachable()
        try:
            with _quiet_hub(offline=not online):  # offline: the cache, at once, or a clear no
                return Path(open_clip.download_pretrained(cfg, cache_dir=str(cache_dir)))
        except Exception as exc:  # huggingface_hub raises many types when offline
            raise offline_error(spec, cache_dir, exc, online) from None
    return None


HubSource = tuple[str, list[str], list[str]]  # repository, weights names to try, other files


def hub_source(spec: ModelSpec) -> HubSource | None:
    """Where on the model hub a model's files are, as open_clip would fetch them (its
    safetensors alternative first); None for a local model or a plain-URL tag."""
    if spec.open_clip_name.startswith("hf-hub:"):
        repo = spec.open_clip_name.split(":", 1)[1].strip("/")
        names = ["open_clip_model.safetensors", "open_clip_pytorch_model.bin"]
        return repo, names, ["open_clip_config.json"]
    if not spec.pretrained or spec.is_local:
        return None
    import open_clip

    cfg = open_clip.get_pretrained_cfg(spec.open_clip_name, spec.pretrained) or {}
    if not cfg.get("hf_hub"):
        return None
    repo, filename = os.path.split(cfg["hf_hub"])
    filename = filename or "open_clip_pytorch_model.bin"
    if filename == "open_clip_pytorch_model.bin":
        safe = ["open_clip_model.safetensors"]
    elif filename.endswith((".bin", ".pth")):
        safe = [filename[:-4] + ".safetensors"]
    else:
        safe = []
    return repo, [*safe, filename], []


def _cached(cache_dir: Path, source: HubSource) -> Path | None:
    from clipdesk.embedding import download

    repo, names, extra = source
    if any(download.cached_file(cache_dir, repo, name) is None for name in extra):
        return None
    for name in names:
        found = download.cached_file(cache_dir, repo, name)
        if found is not None:
            return found
    return None


def needs_download(spec: ModelSpec, cache_dir: Path, onnx_dir: Path) -> bool:
    """Whether loading ``spec`` would first download its weights from the hub."""
    from clipdesk.embedding import readymade
    from clipdesk.embedding.onnx_export import remembered_weights

    if local_weights(spec)[0] or remembered_weights(onnx_dir, spec.name)[0]:
        return False
    ready = readymade.wanted(spec)
    if ready is not None:  # no torch: the ready-made export instead of the weights
        return readymade.cached(ready, cache_dir) is None
    source = hub_source(spec)
    return source is not None and _cached(cache_dir, source) is None


def download_weights(spec: ModelSpec, cache_dir: Path, hooks: DownloadHooks | None = None) -> Path:
    """The weights from the cache, else downloaded from the hub (resumed, verified). Without
    torch, a model's ready-made ONNX export instead where it has one (readymade.py)."""
    import http.client

    from clipdesk.embedding import download, readymade

    ready = readymade.wanted(spec)
    if ready is not None:
        return readymade.download(ready, cache_dir, hooks)
    source = hub_source(spec)
    if source is None:
        raise ModelUnavailable(f"{spec.name} is not downloaded from the model hub")
    found = _cached(cache_dir, source)
    if found is not None:
        return found
    online = hub_reachable()
    if not online:
        raise offline_error(spec, cache_dir, ConnectionError(), online=False)
    repo, names, extra = source
    try:
        for name in extra:
            download.fetch(repo, name, cache_dir, hooks=hooks)
        for name in names:
            try:
                return download.fetch(
                    repo, name, cache_dir, hooks=hooks, expected_sha256=spec.expected_sha256
                )
            except download.EntryNotFound:
                continue
    except download.EntryNotFound as exc:
        raise ModelUnavailable(f"the model hub has no {spec.name}: {exc}") from None
    except (OSError, http.client.HTTPException) as exc:  # the hub did not answer
        raise offline_error(spec, cache_dir, exc, online) from None
    raise ModelUnavailable(f"{repo} on the model hub has none of {', '.join(names)}")


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the model hub ($HF_ENDPOINT, else huggingface.co) answers at all. Asked once
    before a download so that an offline first run fails at once with one clear line,
    instead of after a minute of retries. Behind a proxy it cannot tell, so it says yes."""
    import socket
    import urllib.request
    from urllib.parse import urlparse

    from clipdesk.embedding import download

    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
        return False
    url = urlparse(download.endpoint())
    proxies = urllib.request.getproxies()  # the environment's, as the download uses them
    if (url.scheme in proxies or "all" in proxies) and not urllib.request.proxy_bypass(
        url.hostname or ""
    ):
        return True
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        socket.create_connection((url.hostname or "", port), timeout=timeout).close()
    except OSError:
        return False
    return True


class _quiet_hub:
    """huggingface_hub without its retry warnings, and (offline) from its cache only."""

    def __init__(self, offline: bool):
        self.offline = offline

    def __enter__(self):
        from huggingface_hub import constants

        self.log = logging.getLogger("huggingface_hub")
        self.level, self.was = self.log.level, constants.HF_HUB_OFFLINE
        self.log.setLevel(logging.ERROR)
        constants.HF_HUB_OFFLINE = self.was or self.offline
        return self

    def __exit__(self, *exc):
        from huggingface_hub import constants

        self.log.setLevel(self.level)
        constants.HF_HUB_OFFLINE = self.was


def offline_error(
    spec: ModelSpec, cache_dir: Path, exc: BaseException, online: bool = True
) -> ModelUnavailable:
    why = type(exc).__name__ if online else "no connection to the model hub"
    if spec.open_clip_name.startswith("hf-hub:"):
        repo = spec.open_clip_name.split(":", 1)[1]
        fix = (
            f"download the files of https://huggingface.co/{repo} into a folder and run with "
            "--model /path/to/that/folder"
        )
    else:
        fix = (
            f"download them from {download_hint(spec)} and run with "
            f"--model {spec.open_clip_name}:/path/to/that/file"
        )
    return ModelUnavailable(
        f"the weights for {spec.name} are not in {cache_dir} and could not be downloaded "
        f"({why}). Connect to the internet once, or {fix} "
        "(or try ClipDesk with its small built-in model: --model test)"
    )


def hub_cache_only(spec: ModelSpec, cache_dir: Path):
    """A context for open_clip's own loading of a model whose hub files are in the cache
    already: it takes them from there, without asking the hub again."""
    import contextlib

    source = None if spec.is_local else hub_source(spec)
    if source is not None and _cached(cache_dir, source) is not None:
        return _quiet_hub(offline=True)
    return contextlib.nullcontext()


def check_hash(spec: ModelSpec, weights: Path | None, cache_dir: Path) -> str:
    if weights is None:
        return "noweights"
    digest = sha256_file(weights, cache_dir)
    if spec.expected_sha256 and digest != spec.expected_sha256:
        raise ModelUnavailable(
            f"{weights} does not match its expected SHA-256 ({spec.expected_sha256[:16]}...); "
            "the file is damaged or incomplete: restore or re-download it"
        )
    return digest
