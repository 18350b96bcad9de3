"""The data at the top of the repository (resources/, models/), mapped into the package.

pyproject.toml installs resources/ as clipdesk.resources and models/ as clipdesk.models; the
wheel's own check is tests/integration/test_packaging.py (and .ci/run's, from outside the
repository).
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

import pytest

from tests.support.repo import ROOT

MAPPED = {"clipdesk.resources": "resources", "clipdesk.models": "models"}


def _setuptools() -> dict:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_package_is_listed_and_the_data_is_mapped():
    config = _setuptools()
    code = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "clipdesk").rglob("__init__.py")
    }
    assert set(config["packages"]) == code | set(MAPPED)
    assert config["package-dir"] == {"clipdesk": "clipdesk", **MAPPED}
    for folder in MAPPED.values():  # regular packages: an editable install maps only those
        assert (ROOT / folder / "__init__.py").is_file()


def test_no_data_folder_inside_the_package_to_shadow_the_mapped_ones():
    # A clipdesk/resources/ or clipdesk/models/ folder (even one left holding __pycache__)
    # would be found first in a checkout, as an empty namespace package.
    for name in MAPPED:
        assert not (ROOT / name.replace(".", "/")).exists(), name


def test_the_data_is_found_through_the_mapped_packages():
    vocabularies = resources.files("clipdesk.resources") / "vocabularies"
    assert (vocabularies / "default.yaml").is_file()
    assert (vocabularies / "test-model.yaml").is_file()
    model = resources.files("clipdesk.models") / "test"
    names = {p.name for p in model.iterdir()}
    assert {"open_clip_config.json", "open_clip_model.safetensors", "SHA256"} <= names


def test_the_test_model_ships_its_own_onnx_export():
    """The light install runs the test model from this export (clipdesk/embedding/prebuilt.py):
    complete, and made from the weights beside it. After retraining the model, run
    packaging/export_test_model.py (models/test/SOURCES.md)."""
    import json

    model = Path(str(resources.files("clipdesk.models") / "test"))
    export = model / "onnx"
    graphs = {"image.onnx", "image.onnx.data", "text.onnx", "text.onnx.data"}
    assert {p.name for p in export.iterdir()} == {"clipdesk.json", *graphs}
    meta = json.loads((export / "clipdesk.json").read_text())
    weights = (model / "SHA256").read_text().split()[0]
    assert meta["weights_sha256"] == weights, "run packaging/export_test_model.py"
    size = sum(p.stat().st_size for p in export.iterdir())
    assert size < 20_000_000  # package data: the fp32 graphs only, int8 made on first use


def test_no_data_file_exists_twice():
    seen: dict[str, str] = {}
    for folder in ("resources", "models", "packaging", "clipdesk"):
        for path in sorted((ROOT / folder).rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".py":
                continue
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            name = str(path.relative_to(ROOT))
            assert digest not in seen, f"{name} is a copy of {seen.get(digest)}"
            seen[digest] = name
