"""Exceptions of the XMP package: each carries the file and a one-line reason."""

from __future__ import annotations

from pathlib import Path


class XmpError(Exception):
    """A metadata file could not be read or written; ``reason`` is one line for the user."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = Path(path)
        self.reason = reason


class SidecarError(XmpError):
    """A sidecar could not be parsed, read or written. A sidecar that raised this on a write
    was left exactly as it was."""


class PhotoMetadataError(XmpError):
    """The metadata embedded in a photo could not be read (the photo is never written)."""
