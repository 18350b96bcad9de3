"""User settings: a small JSON file with a schema version, under the config dir."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

SETTINGS_VERSION = 1
DEFAULT_MODEL = "ViT-B-32-256:datacomp_s34b_b86k"


def default_model() -> str:
    """The recommended model; in a build that ships prebuilt exports instead of torch (the
    bundle, which cannot export another model: embedding/prebuilt.py) the test model, which
    it runs out of the box."""
    from clipdesk.embedding.prebuilt import prebuilt_root

    return DEFAULT_MODEL if prebuilt_root() is None else "test"


@dataclass
class Settings:
    model: str = field(default_factory=default_model)
    backend: str = "auto"  # auto | cuda | mps | cpu | onnx
    int8: bool = False  # use the dynamically quantised ONNX graph on the CPU
    batch_size: int = 8  # on the CPU; GPU backends batch more (embedding/gpu.py)
    sidecar_naming: str = "ext"  # ext: photo.jpg.xmp (darktable, digiKam); base: photo.xmp
    sidecar_pair_raw: bool = False  # base naming: a RAW+JPEG pair shares the RAW's photo.xmp
    faces: bool = True  # find and group faces (People); everything stays on this machine
    places: bool = True  # name the place of photos with GPS (Places|Country|Region|City)
    text: bool = True  # read the words in photos that look like they hold some (OCR, locally)

    @classmethod
    def load(cls, path: Path) -> Settings:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError):
            # A damaged settings file must not stop the app; defaults apply and the file
            # is kept for the user to inspect until the next save replaces it.
            return cls()
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in known})

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps({"version": SETTINGS_VERSION, **asdict(self)}, indent=2), encoding="utf-8"
        )
        os.replace(tmp, path)
