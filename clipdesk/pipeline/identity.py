"""What makes a file the same photo: its content, hashed two ways.

- :func:`content_hash`, the *sampled* hash: the size plus three 64 KiB blocks (start,
  middle, end). It costs three small reads, so a scan takes it for every new file; it keys
  thumbnails and finds the candidates for a move. It is not proof: two files of one size
  that differ only between the blocks (a repainted BMP) share it.
- :func:`full_hash`, the *whole-content* hash: XXH3-128 over every byte, at memory speed
  (several GB/s; ``benchmarks/scan_robustness.py``). It is taken where the bytes are read
  anyway (just before a photo's decode), and by a scan only to confirm a move or to tell a
  ``touch`` from an edit. A file is taken for a known photo, with its tags and embedding,
  only when this hash matches.
"""

from __future__ import annotations

import hashlib
import os

import xxhash

_CHUNK = 64 * 1024
_READ = 1 << 20  # full_hash reads a MiB at a time: bounded memory for any file size


def content_hash(path: str | os.PathLike[str], size: int | None = None) -> str:
    """The sampled fingerprint: the size plus three 64 KiB samples (start, middle, end)."""
    with open(path, "rb") as f:
        if size is None:
            size = os.fstat(f.fileno()).st_size
        h = hashlib.blake2b(size.to_bytes(8, "little"), digest_size=16)
        if size <= 3 * _CHUNK:
            h.update(f.read())
        else:
            for offset in (0, size // 2 - _CHUNK // 2, size - _CHUNK):
                f.seek(offset)
                h.update(f.read(_CHUNK))
    return h.hexdigest()


def full_hash(path: str | os.PathLike[str]) -> str:
    """XXH3-128 of the whole file (hex). Raises OSError when it cannot be read."""
    h = xxhash.xxh3_128()
    with open(path, "rb") as f:
        buf = bytearray(_READ)
        view = memoryview(buf)
        while n := f.readinto(buf):
            h.update(view[:n])
    return h.hexdigest()


def bytes_hash(data: bytes) -> str:
    """:func:`full_hash` of bytes already read (a JPEG read for the GPU's decoder)."""
    return xxhash.xxh3_128_hexdigest(data)
