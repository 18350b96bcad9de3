"""Downloading one file from the model hub: progress, cancel, resume and verification. No Qt.

Why our own HTTP rather than ``huggingface_hub.hf_hub_download`` (2.4 in our venv): it
downloads to a process-unique ``*.incomplete`` file that it deletes on any failure, so an
interrupted download starts again from byte 0; it checks only the file's size, never its
hash; and it has no way to cancel (its tqdm hook could only raise from inside ``update``).

The file lands where huggingface_hub puts it, in the same cache (``models--ORG--NAME/
blobs/ETAG``, ``snapshots/COMMIT/FILENAME`` a link to the blob, ``refs/REVISION`` the
commit), so weights downloaded by earlier versions (through open_clip) are found, and
open_clip finds ours. While it downloads, the bytes go to ``blobs/ETAG.part``: a later run
asks for the rest with an HTTP ``Range`` request. The hub sends a large (LFS) file's SHA-256
as its ETag (``X-Linked-Etag`` on the redirect to the CDN); the finished file is checked
against it, and against the registry's hash where one is known, and a file that does not
match is removed. ``HF_ENDPOINT`` names the hub; proxies come from the environment
(``http_proxy``, ``https_proxy``, ``no_proxy``), as urllib reads them.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from clipdesk.embedding.hooks import DownloadHooks
from clipdesk.embedding.registry import ModelUnavailable

CHUNK = 256 * 1024
TIMEOUT = 30.0  # seconds without a byte before a connection counts as lost
RETRIES = 2  # a dropped connection is resumed this often within one run
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class DownloadProgress:
    """How far one file's download is: bytes done and total, bytes per second, seconds left."""

    filename: str
    done: int
    total: int | None
    rate: float = 0.0
    eta: float | None = None
    resumed_from: int = 0  # bytes that were already on disk when this run began
    finished: bool = False
    verified: bool = False  # finished, and its SHA-256 matched the hub's or the registry's


class DownloadFailed(ModelUnavailable):
    """The download did not give a good file; the message says why and what to do."""


class DownloadCancelled(ModelUnavailable):
    """Stopped by the user; the partial file is kept and the next run resumes it."""


class EntryNotFound(FileNotFoundError):
    """The hub has no such file in the repository (the caller may try another name)."""


def endpoint() -> str:
    return (os.environ.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/")


def hub_url(repo: str, filename: str, revision: str = "main") -> str:
    return f"{endpoint()}/{repo}/resolve/{quote(revision, safe='')}/{quote(filename)}"


def repo_cache(cache_dir: Path, repo: str) -> Path:
    """huggingface_hub's folder for a model repository in ``cache_dir``."""
    return Path(cache_dir) / "--".join(["models", *repo.split("/")])


def cached_file(cache_dir: Path, repo: str, filename: str, revision: str = "main") -> Path | None:
    """The file if an earlier download (ours or huggingface_hub's) left it in the cache."""
    root = repo_cache(cache_dir, repo)
    ref = root / "refs" / revision
    commit = ref.read_text().strip() if ref.is_file() else revision
    path = root / "snapshots" / commit / filename
    return path if path.is_file() else None


def _normalise_etag(value: str | None) -> str | None:
    if not value:
        return None
    return value.strip().removeprefix("W/").strip('"') or None


@dataclass(frozen=True)
class _Remote:
    url: str
    etag: str | None
    sha256: str | None
    size: int | None
    commit: str | None


def _describe(repo: str, filename: str, revision: str) -> _Remote:
    """Ask the hub (HEAD, redirects not followed) for the file's hash, size and commit."""
    import urllib.error  # the HTTP stack: only when something is downloaded
    import urllib.request

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None  # the redirect's own headers carry the hash: read them, then follow

    url = hub_url(repo, filename, revision)
    opener = urllib.request.build_opener(_NoRedirect)  # keeps the environment's proxies
    for _ in range(5):  # relative redirects (a renamed repository) are the hub's own
        request = urllib.request.Request(url, method="HEAD")
        try:
            response = opener.open(request, timeout=TIMEOUT)
            headers, status = response.headers, response.status
            response.close()
        except urllib.error.HTTPError as exc:
            headers, status = exc.headers, exc.code
            if status == 404:
                raise EntryNotFound(f"{repo} has no file {filename}") from None
            if status not in (301, 302, 303, 307, 308):
                raise DownloadFailed(
                    f"the model hub ({endpoint()}) refused {filename} of {repo}: HTTP {status}"
                ) from None
            location = headers.get("Location", "")
            if location.startswith("/") and not headers.get("X-Linked-Etag"):
                url = f"{endpoint()}{location}"
                continue
        etag = _normalise_etag(headers.get("X-Linked-Etag") or headers.get("ETag"))
        size = headers.get("X-Linked-Size") or headers.get("Content-Length")
        return _Remote(
            url=hub_url(repo, filename, revision),
            etag=etag,
            sha256=etag if etag and _SHA256.match(etag) else None,
            size=int(size) if size and size.isdigit() else None,
            commit=headers.get("X-Repo-Commit"),
        )
    raise DownloadFailed(f"the model hub redirects {filename} of {repo} too often")


def fetch(
    repo: str,
    filename: str,
    cache_dir: Path,
    revision: str = "main",
    hooks: DownloadHooks | None = None,
    expected_sha256: str | None = None,
) -> Path:
    """Download ``filename`` of the hub repository ``repo`` into the cache (resuming a
    partial download, verifying the result) and return its path in the snapshot.

    Raises EntryNotFound, DownloadCancelled (the partial file kept), DownloadFailed (a
    connection lost, the partial file kept; or a hash that does not match, the file
    removed)."""
    hooks = hooks or DownloadHooks()
    remote = _describe(repo, filename, revision)
    root = repo_cache(cache_dir, repo)
    blob = root / "blobs" / (remote.etag or f"unverified-{filename}")
    if not blob.is_file():
        blob.parent.mkdir(parents=True, exist_ok=True)
        _download(remote, filename, blob, hooks, expected_sha256)
    return _link(root, blob, filename, remote.commit or revision, revision)


def _download(
    remote: _Remote, filename: str, blob: Path, hooks: DownloadHooks, expected: str | None
) -> None:
    import http.client
    import urllib.error

    part = blob.with_name(blob.name + ".part")
    with open(part, "ab") as out:
        _lock(out, filename)
        start = out.seek(0, os.SEEK_END)
        if remote.size is not None and start > remote.size:  # not ours: start again
            out.truncate(0)
            start = 0
        digest = hashlib.sha256()
        if start:
            with open(part, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    digest.update(chunk)
        meter = _Meter(filename, remote.size, start, hooks)
        lost = None
        for _ in range(RETRIES + 1):
            try:
                _transfer(remote, out, digest, meter, hooks.cancel)
                lost = None
                break
            except (OSError, http.client.HTTPException) as exc:  # dropped: resume from here
                if isinstance(exc, urllib.error.HTTPError) and exc.code != 503:
                    raise DownloadFailed(
                        f"the model hub refused {filename}: HTTP {exc.code} {exc.reason}"
                    ) from None
                lost = exc
                if hooks.cancel.is_set():
                    break
        if hooks.cancel.is_set():
            raise DownloadCancelled(_kept(filename, out.tell(), remote.size, "was stopped"))
        if lost is not None:
            raise DownloadFailed(
                _kept(filename, out.tell(), remote.size, f"was cut off ({_reason(lost)})")
            )
        size = out.tell()
    _verify(part, filename, size, remote, digest.hexdigest(), expected)
    os.replace(part, blob)
    meter.report(finished=True, verified=bool(remote.sha256 or expected))


def _transfer(remote, out, digest, meter: _Meter, cancel: threading.Event) -> None:
    """Append the bytes from ``out``'s end to the file's end, checking ``cancel`` per chunk."""
    import urllib.error
    import urllib.request

    start = out.tell()
    if remote.size is not None and start >= remote.size:
        return
    request = urllib.request.Request(remote.url)
    if start:
        request.add_header("Range", f"bytes={start}-")
    try:
        # A new opener each time: its ProxyHandler reads the environment's proxies now.
        response = urllib.request.build_opener().open(request, timeout=TIMEOUT)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and start:  # the whole file is here already
            return
        raise
    with response:
        if start and response.status != 206:  # the server sends it all again
            out.seek(0)
            out.truncate(0)
            digest.__init__()
            meter.restart()
        try:
            while chunk := response.read(CHUNK):
                if cancel.is_set():
                    return
                out.write(chunk)
                digest.update(chunk)
                meter.add(len(chunk))
        except KeyboardInterrupt:  # Ctrl-C in a command without its own handler
            cancel.set()
            return
    out.flush()
    if remote.size is not None and out.tell() < remote.size:
        raise ConnectionError(f"the connection closed after {out.tell():,} bytes")


def _verify(part: Path, filename: str, size, remote: _Remote, got: str, expected) -> None:
    problem = None
    if remote.size is not None and size != remote.size:
        problem = f"it has {size:,} bytes, not {remote.size:,}"
    for name, want in (("the hub's", remote.sha256), ("the expected", expected)):
        if problem is None and want and got != want:
            problem = f"its SHA-256 {got[:12]}... is not {name} {want[:12]}..."
    if problem is not None:
        part.unlink(missing_ok=True)
        raise DownloadFailed(
            f"the downloaded {filename} is damaged ({problem}); it was removed. Try again "
            "(another network or mirror may help), or download it yourself and choose it as "
            "a file"
        )


def _link(root: Path, blob: Path, filename: str, commit: str, revision: str) -> Path:
    """Put the file in the snapshot the way huggingface_hub does (a relative link)."""
    pointer = root / "snapshots" / commit / filename
    pointer.parent.mkdir(parents=True, exist_ok=True)
    if not pointer.is_file():
        pointer.unlink(missing_ok=True)
        try:
            pointer.symlink_to(os.path.relpath(blob, pointer.parent))
        except OSError:  # no symlinks (Windows without developer mode): a copy
            shutil.copyfile(blob, pointer)
    if commit != revision:
        ref = root / "refs" / revision
        ref.parent.mkdir(parents=True, exist_ok=True)
        ref.write_text(commit)
    return pointer


def _lock(out, filename: str) -> None:
    """One download per file: another thread or process writing the same part is refused."""
    try:
        import fcntl
    except ImportError:  # Windows: opening the file for appending is as far as it goes
        return
    try:
        fcntl.flock(out.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise ModelUnavailable(
            f"{filename} is being downloaded already (by this or another ClipDesk); "
            "try again when that download is done"
        ) from None


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB" if n >= 100_000 else f"{n / 1e3:,.1f} kB"


def _kept(filename: str, done: int, total: int | None, what: str) -> str:
    of = f" of {_mb(total)}" if total else ""
    return (
        f"the download of {filename} {what}; {_mb(done)}{of} are kept, and the next try "
        "resumes from there"
    )


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or exc
    return str(reason) or type(exc).__name__


class _Meter:
    """Bytes per second (over the last few seconds) and time left, reported at most 10
    times a second."""

    def __init__(self, filename: str, total: int | None, start: int, hooks: DownloadHooks):
        self.filename, self.total, self.start, self.hooks = filename, total, start, hooks
        self.done = start
        self.samples: list[tuple[float, int]] = [(time.monotonic(), start)]
        self.last = 0.0
        self.report()

    def restart(self) -> None:
        self.done = self.start = 0
        self.samples = [(time.monotonic(), 0)]

    def add(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.last >= 0.1:
            self.samples = [s for s in self.samples if now - s[0] < 5.0] + [(now, self.done)]
            self.report()

    def report(self, finished: bool = False, verified: bool = False) -> None:
        if self.hooks.progress is None:
            return
        self.last = now = time.monotonic()
        t0, b0 = self.samples[0]
        rate = (self.done - b0) / (now - t0) if now - t0 > 0.2 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 and self.total else None
        self.hooks.progress(
            DownloadProgress(
                self.filename, self.done, self.total, rate, eta, self.start, finished, verified
            )
        )
