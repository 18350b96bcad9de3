"""Where ClipDesk keeps its files.

Everything lives under platformdirs' per-user folders, unless ``CLIPDESK_HOME``
(or the ``--home`` flag, which sets it) names one folder that then holds the
catalog, caches, exported ONNX models and settings together: for tests and
portable installs.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from clipdesk.errors import Fatal

HOME_ENV = "CLIPDESK_HOME"
APP_NAME = "clipdesk"


@dataclass(frozen=True)
class AppPaths:
    data_dir: Path
    cache_dir: Path
    config_dir: Path

    @property
    def catalog(self) -> Path:
        return self.data_dir / "catalog.sqlite3"

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def thumbnails(self) -> Path:
        return self.cache_dir / "thumbnails"

    @property
    def model_weights(self) -> Path:
        """Downloaded open_clip weights (a Hugging Face hub cache)."""
        return self.cache_dir / "weights"

    @property
    def onnx_models(self) -> Path:
        return self.cache_dir / "onnx"

    def ensure(self) -> AppPaths:
        """Make the folders; raises HomeUnusable (one line naming the folder) when one
        cannot be a folder there (a file in its place, /proc, no permission)."""
        for d in (self.data_dir, self.cache_dir, self.config_dir):
            try:
                d.mkdir(parents=True, exist_ok=True)
                if not d.is_dir():  # mkdir's exist_ok takes a link to a file for a folder
                    raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(d))
            except OSError as exc:
                raise HomeUnusable(d, exc) from exc
        return self


class HomeUnusable(Fatal, OSError):
    """A folder ClipDesk keeps its files in cannot be made (an OSError too, for callers
    that catch those)."""

    def __init__(self, folder: Path, exc: OSError):
        blocker = _blocker(folder)
        if blocker is not None:
            why = f"{blocker} is a file, not a folder"
        else:
            why = f"no folder can be made there ({(exc.strerror or str(exc)).lower()})"
        super().__init__(
            exc.errno,
            f"cannot keep ClipDesk's files in {folder}: {why}; choose another folder with "
            f"--home DIR (or ${HOME_ENV})",
        )

    def __str__(self) -> str:
        return self.strerror or super().__str__()


def _blocker(folder: Path) -> Path | None:
    """The file (not a folder) at ``folder`` or above it, if any."""
    for p in (folder, *folder.parents):
        if os.path.lexists(p):
            return None if p.is_dir() else p
    return None


def app_paths(home: str | os.PathLike[str] | None = None) -> AppPaths:
    """Resolve the folders: an explicit ``home``, else ``$CLIPDESK_HOME``, else platformdirs."""
    home = home or os.environ.get(HOME_ENV) or None
    if home:
        root = Path(home).expanduser().resolve()
        return AppPaths(root / "data", root / "cache", root / "config")
    return AppPaths(
        Path(platformdirs.user_data_dir(APP_NAME)),
        Path(platformdirs.user_cache_dir(APP_NAME)),
        Path(platformdirs.user_config_dir(APP_NAME)),
    )
