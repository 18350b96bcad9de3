"""Where a model's weights file comes from: a local file, the download cache, or a
download from the model hub (asked once whether it answers, so that an offline first run
fails at once with one clear line); and the check of a file against its expected hash."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from clipdesk.embedding.registry import (
    ModelSpec,
    ModelUnavailable,
    download_hint,
    local_weights,
    sha256_file,
)


def weights_file(spec: ModelSpec, cache_dir: Path) -> Path | None:
    """The local weights file, downloading a pretrained tag's weights if needed."""
    is_local, weights = local_weights(spec)
    if is_local:
        return weights
    if spec.pretrained:
        import open_clip

        cfg = open_clip.get_pretrained_cfg(spec.open_clip_name, spec.pretrained)
        online = hub_reachable()
        try:
            with _quiet_hub(offline=not online):  # offline: the cache, at once, or a clear no
                return Path(open_clip.download_pretrained(cfg, cache_dir=str(cache_dir)))
        except Exception as exc:  # huggingface_hub raises many types when offline
            raise offline_error(spec, cache_dir, exc, online) from None
    return None


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the model hub ($HF_ENDPOINT, else huggingface.co) answers at all. Asked once
    before a download so that an offline first run fails at once with one clear line,
    instead of after a minute of retries. Behind a proxy it cannot tell, so it says yes."""
    import socket
    from urllib.parse import urlparse

    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
        return False
    if any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return True
    url = urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
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
    return ModelUnavailable(
        f"the weights for {spec.name} are not in {cache_dir} and could not be downloaded "
        f"({why}). Connect to the internet once, or download them from "
        f"{download_hint(spec)} and run with --model {spec.open_clip_name}:/path/to/that/file "
        "(or try ClipDesk with its small built-in model: --model test)"
    )


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
