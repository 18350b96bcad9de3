"""Where ClipDesk keeps its files.

Everything lives under platformdirs' per-user folders, unless ``CLIPDESK_HOME``
(or the ``--home`` flag, which sets it) names one folder that then holds the
catalog, caches, exported ONNX models and settings together: for tests and
portable installs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

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
        for d in (self.data_dir, self.cache_dir, self.config_dir):
            d.mkdir(parents=True, exist_ok=True)
        return self


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
