"""Downloading model weights from a real (local) model hub: an http.server on 127.0.0.1
laid out like huggingface.co (tests/support/model_hub.py), with HF_ENDPOINT pointing at it:
the cache layout, resuming, hashes, offline and proxies. (Loading what was downloaded, and the
terminal: tests/integration/test_download_cli.py.)"""

from __future__ import annotations

import threading

import pytest

from clipdesk.embedding import download
from clipdesk.embedding.download import DownloadCancelled, DownloadFailed, DownloadHooks
from tests.support.model_hub import COMMIT, MODEL, REPO, WEIGHTS


def test_a_download_lands_in_the_hub_cache_verified(hub, tmp_path):
    seen = []
    path = download.fetch(REPO, WEIGHTS, tmp_path, hooks=DownloadHooks(seen.append))
    assert path.read_bytes() == hub.weights
    assert path == tmp_path / "models--clipdesk--test-model" / "snapshots" / COMMIT / WEIGHTS
    assert seen[-1].finished and seen[-1].done == seen[-1].total == len(hub.weights)
    assert not list(tmp_path.rglob("*.part"))
    # huggingface_hub (and so open_clip) finds it where it would have put it itself
    from huggingface_hub import try_to_load_from_cache

    assert try_to_load_from_cache(REPO, WEIGHTS, cache_dir=tmp_path) == str(path)
    assert download.cached_file(tmp_path, REPO, WEIGHTS) == path


def test_a_cut_connection_resumes_and_asks_only_for_the_rest(hub, tmp_path):
    hub.cut_after, hub.cuts = 3_000_000, 1
    path = download.fetch(REPO, WEIGHTS, tmp_path)
    assert path.read_bytes() == hub.weights
    ranges = [r for _, _, r in hub.gets()]
    assert ranges == [None, "bytes=3000000-"]
    assert hub.sent == len(hub.weights)  # not a byte twice


def test_a_connection_that_keeps_dropping_keeps_what_came(hub, tmp_path):
    hub.cut_after, hub.cuts = 1_000_000, 10
    with pytest.raises(DownloadFailed, match="was cut off .*3.0 MB of 7.5 MB are kept"):
        download.fetch(REPO, WEIGHTS, tmp_path)
    assert [r for _, _, r in hub.gets()] == [None, "bytes=1000000-", "bytes=2000000-"]
    (part,) = tmp_path.rglob("*.part")
    assert part.read_bytes() == hub.weights[:3_000_000]


def test_a_partial_file_from_an_earlier_run_is_resumed(hub, tmp_path):
    hub.delay = 0.02
    cancel = threading.Event()

    def progress(p):
        if p.done > 1_000_000:
            cancel.set()

    with pytest.raises(DownloadCancelled, match="kept, and the next try resumes"):
        download.fetch(REPO, WEIGHTS, tmp_path, hooks=DownloadHooks(progress, cancel))
    (part,) = tmp_path.rglob("*.part")
    kept = part.stat().st_size
    assert 1_000_000 < kept < len(hub.weights)
    assert download.cached_file(tmp_path, REPO, WEIGHTS) is None

    hub.delay, hub.sent = 0.0, 0
    seen = []
    path = download.fetch(REPO, WEIGHTS, tmp_path, hooks=DownloadHooks(seen.append))
    assert path.read_bytes() == hub.weights
    assert hub.gets()[-1][2] == f"bytes={kept}-" and hub.sent_by[-1] == len(hub.weights) - kept
    assert seen[0].resumed_from == kept and not part.exists()


def test_a_file_whose_hash_is_wrong_is_refused_and_removed(hub, tmp_path):
    hub.corrupt = True
    with pytest.raises(DownloadFailed, match="damaged .*SHA-256.*it was removed"):
        download.fetch(REPO, WEIGHTS, tmp_path)
    left = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert left == []  # no blob, no part, no snapshot that open_clip could pick up


def test_the_registry_hash_is_checked_too(hub, tmp_path):
    with pytest.raises(DownloadFailed, match="is not the expected"):
        download.fetch(REPO, WEIGHTS, tmp_path, expected_sha256="0" * 64)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_offline_asks_nothing_and_says_what_to_do(hub, tmp_path, monkeypatch):
    from clipdesk.embedding.registry import parse_model
    from clipdesk.embedding.weights import weights_file
    from clipdesk.pipeline.library import ModelUnavailable

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelUnavailable, match="no connection to the model hub.*--model test"):
        weights_file(parse_model(MODEL), tmp_path)
    assert hub.log == []


def test_a_proxy_from_the_environment_is_used(hub, tmp_path, monkeypatch):
    """HF_ENDPOINT names a host this machine cannot resolve; http_proxy (the local hub,
    which also answers absolute URIs, as a proxy is asked) gets every request."""
    monkeypatch.setenv("HF_ENDPOINT", "http://hub.invalid")
    monkeypatch.setenv("http_proxy", hub.url)
    from clipdesk.embedding.registry import parse_model
    from clipdesk.embedding.weights import weights_file

    path = weights_file(parse_model(MODEL), tmp_path)
    assert path.read_bytes() == hub.weights
    assert hub.log and all(p.startswith("http://") for _, p, _ in hub.log)  # as to a proxy
    assert hub.log[0][1].startswith("http://hub.invalid/")
