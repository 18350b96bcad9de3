"""What an installed ClipDesk carries: the wheel's package data, the Linux desktop files."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP_ID = "io.github.clipdesk.ClipDesk"


def _source_copy(dest: Path) -> Path:
    """The source tree without build leftovers (a stale build/ would hide a missing file)."""
    skip = shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache"
    )
    shutil.copytree(ROOT, dest, ignore=skip)
    return dest


def test_wheel_carries_the_vocabulary_and_test_model(tmp_path):
    src = _source_copy(tmp_path / "src")
    out = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
        + ["-w", str(out), str(src)],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("clipdesk-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    model = ROOT / "clipdesk" / "models" / "test"
    expected = {f"clipdesk/models/test/{p.name}" for p in model.iterdir()}
    assert {"open_clip_config.json", "open_clip_model.safetensors", "SHA256"} <= {
        p.name for p in model.iterdir()
    }
    expected |= {
        "clipdesk/resources/vocabularies/default.yaml",
        "clipdesk/resources/vocabularies/test-model.yaml",
    }
    assert expected <= names, sorted(expected - names)
    assert not any(n.startswith(("models/", "resources/", "tests/")) for n in names)
    # The packaged weights are the ones the registry checks against SHA256.
    weights = zipfile.ZipFile(wheel).read("clipdesk/models/test/open_clip_model.safetensors")
    assert weights == (model / "open_clip_model.safetensors").read_bytes()
