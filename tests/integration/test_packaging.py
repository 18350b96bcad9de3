"""What an installed ClipDesk carries: the wheel's package data, the Linux desktop files."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.repo import APP_ID

ROOT = Path(__file__).resolve().parents[2]


def _source_copy(dest: Path) -> Path:
    """The source tree without build leftovers (a stale build/ would hide a missing file)."""
    skip = shutil.ignore_patterns(
        ".git",
        ".venv",
        "build",
        "dist",
        "*.egg-info",
        "__pycache__",
        ".pytest_cache",
        "_data",
        ".clipdesk-home",
    )
    shutil.copytree(ROOT, dest, ignore=skip)
    return dest


def test_wheel_carries_the_vocabularies_icon_and_test_model(tmp_path):
    src = _source_copy(tmp_path / "src")
    out = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
        + ["-w", str(out), str(src)],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("clipdesk-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert len(names) == len(set(names))
    # resources/ and models/ at the top of the repository, mapped into the package.
    model = ROOT / "models" / "test"
    assert {"open_clip_config.json", "open_clip_model.safetensors", "SHA256"} <= {
        p.name for p in model.iterdir()
    }
    data = [*(ROOT / "resources").rglob("*"), *model.rglob("*")]  # with its ONNX export
    expected = {
        "clipdesk/" + "/".join(p.relative_to(ROOT).parts)
        for p in data
        if p.is_file() and p.suffix not in (".py", ".pyc")
    }
    assert "clipdesk/resources/vocabularies/default.yaml" in expected
    assert "clipdesk/models/test/onnx/text.onnx.data" in expected
    assert "clipdesk/resources/icons/hicolor/scalable/apps/io.github.clipdesk.ClipDesk.svg" in (
        expected
    )
    assert expected <= set(names), sorted(expected - set(names))
    assert not any(n.startswith(("models/", "resources/", "tests/")) for n in names)
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    # The packaged weights are the ones the registry checks against SHA256.
    weights = zipfile.ZipFile(wheel).read("clipdesk/models/test/open_clip_model.safetensors")
    assert weights == (model / "open_clip_model.safetensors").read_bytes()


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian: desktop-file-utils, appstream)")
    return path


def test_desktop_file_validates():
    desktop = ROOT / "packaging" / "linux" / f"{APP_ID}.desktop"
    done = subprocess.run(
        [_tool("desktop-file-validate"), str(desktop)], capture_output=True, text=True
    )
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def test_appstream_metainfo_validates():
    metainfo = ROOT / "packaging" / "linux" / f"{APP_ID}.metainfo.xml"
    done = subprocess.run(
        [_tool("appstreamcli"), "validate", "--no-net", str(metainfo)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    text = metainfo.read_text()
    assert f'<launchable type="desktop-id">{APP_ID}.desktop</launchable>' in text
    for shot in ("library", "search", "review"):  # the screenshots it names exist
        assert (ROOT / "docs" / "screenshots" / "1280x800" / f"{shot}.png").is_file()
        assert f"/docs/screenshots/1280x800/{shot}.png</image>" in text
