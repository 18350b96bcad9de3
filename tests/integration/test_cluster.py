"""Scale-out: `clipdesk cluster-embed` on a local Ray, and `clipdesk import-embeddings`.

The tests marked ``cluster`` start one local Ray for the module (``ray.init(num_cpus=2)``)
and are skipped with a reason where the extra ``clipdesk[cluster]`` is not installed; the
rest need nothing beyond the app (or only pyarrow, for shards made without Ray).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from clipdesk.cli import main

N_GOOD = 46


BAD = {
    "zz_truncated.jpg": "truncated",
    "zz_empty.jpg": "empty file",
    "zz_not_an_image.jpg": "not an image",
}


def test_the_cli_and_a_normal_command_never_import_ray(tmp_path):
    code = (
        "import sys, clipdesk.cli\n"
        f"assert clipdesk.cli.main(['--home', {str(tmp_path / 'h')!r}, 'status']) == 0\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('ray', 'pyarrow')]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def _home(path: Path, onnx_cache: Path) -> str:
    (path / "cache").mkdir(parents=True)
    os.symlink(onnx_cache, path / "cache" / "onnx")
    return str(path)


def _photos(folder: Path) -> Path:
    """~50 photos: generated shapes, one turned by its EXIF orientation, three bad files."""
    from clipdesk.testing.synthetic import write_folder

    write_folder(folder, N_GOOD, seed=11)
    img = Image.open(folder / "0000_red_circle.jpg")
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned 90 degrees: width and height swap
    img.crop((0, 0, img.width, max(1, img.height // 2))).save(
        folder / "0999_turned.jpg", exif=exif.tobytes(), quality=90
    )
    data = (folder / "0001_red_square.jpg").read_bytes()
    (folder / "zz_truncated.jpg").write_bytes(data[: len(data) // 3])
    (folder / "zz_empty.jpg").write_bytes(b"")
    (folder / "zz_not_an_image.jpg").write_text("this is a text file named .jpg")
    return folder


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _shard_rows(out_dir: Path) -> list[dict]:
    import pyarrow.dataset as pds

    files = sorted(str(p) for p in (out_dir / "shards").rglob("*.parquet"))
    return pds.dataset(files, format="parquet").to_table().to_pylist() if files else []


def _desktop(catalog_path: Path) -> dict[str, tuple[np.ndarray, int, int]]:
    """hash -> (vector, width, height) as the desktop catalog holds them."""
    conn = sqlite3.connect(catalog_path)
    rows = conn.execute(
        "SELECT p.hash, e.vector, p.width, p.height FROM photos p "
        "JOIN embeddings e ON e.photo_id = p.id"
    ).fetchall()
    conn.close()
    return {h: (np.frombuffer(v, np.float32), w, ht) for h, v, w, ht in rows}


def _state(catalog_path: Path) -> dict:
    conn = sqlite3.connect(catalog_path)
    out = {
        t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
        for t in ("photos", "embeddings", "pending_vectors", "photo_tags")
    }
    out["generation"] = conn.execute("SELECT gen, seq FROM vector_generation").fetchone()
    out["statuses"] = sorted(conn.execute("SELECT status, COUNT(*) FROM photos GROUP BY 1"))
    conn.close()
    return out


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray", reason="needs the cluster extra: pip install '.[cluster]'")
    pytest.importorskip("ray.data", reason="needs Ray Data: pip install '.[cluster]'")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def embedded(local_ray, tmp_path_factory, onnx_cache):
    """One cluster-embed run over ~50 photos into DIR, and what it printed."""
    root = tmp_path_factory.mktemp("cluster")
    photos = _photos(root / "photos")
    home = _home(root / "home", onnx_cache)
    out = root / "out"
    code = main(["--home", home, "--model", "test", "cluster-embed", str(photos), "--output",
                 str(out), "--batch-size", "8"])  # fmt: skip
    assert code == 0
    return {"photos": photos, "out": out, "root": root}


@pytest.mark.cluster
def test_cluster_vectors_equal_desktop_indexing(embedded, tmp_path, onnx_cache, capsys):
    rows = [r for r in _shard_rows(embedded["out"]) if r["error"] is None]
    assert len(rows) == N_GOOD + 1
    home = _home(tmp_path / "desk", onnx_cache)
    assert _run(capsys, "--home", home, "--model", "test", "add", str(embedded["photos"]))[0] == 0
    desktop = _desktop(Path(home) / "data" / "catalog.sqlite3")
    assert {r["hash"] for r in rows} == set(desktop)
    for r in rows:
        vector, width, height = desktop[r["hash"]]
        assert float(np.dot(np.asarray(r["vector"], np.float32), vector)) >= 0.9999, r["path"]
        assert (r["width"], r["height"]) == (width, height), r["path"]
        assert r["model"] == "test" and len(r["weights_sha256"]) == 64
    turned = next(r for r in rows if r["path"] == "0999_turned.jpg")
    with Image.open(embedded["photos"] / "0999_turned.jpg") as img:
        assert (turned["width"], turned["height"]) == (img.height, img.width)  # as displayed


@pytest.mark.cluster
def test_bad_files_are_listed_with_their_reason(embedded):
    lines = (embedded["out"] / "failures.jsonl").read_text().splitlines()
    failures = [json.loads(x) for x in lines]
    assert {f["path"]: f["reason"] for f in failures}.keys() == BAD.keys()
    for f in failures:
        assert BAD[f["path"]] in f["reason"], f
        assert f["root"] == str(embedded["photos"])


@pytest.mark.cluster
def test_a_second_run_skips_everything(embedded, onnx_cache, capsys):
    home = _home(embedded["root"] / "home2", onnx_cache)
    code, out, _ = _run(capsys, "--home", home, "--model", "test", "cluster-embed",
                        str(embedded["photos"]), "--output", str(embedded["out"]))  # fmt: skip
    assert code == 0
    total = N_GOOD + 1 + len(BAD)
    assert f"{total} photos listed: 0 embedded, {total} already done, 0 failed" in out
    assert "3 files could not be embedded" in out  # still listed
    assert len([r for r in _shard_rows(embedded["out"]) if r["error"] is None]) == N_GOOD + 1


@pytest.mark.cluster
def test_import_then_add_embeds_nothing_and_tags(embedded, tmp_path, onnx_cache, capsys):
    """The studio's way: import first (nothing in the catalog yet), then add the folder."""
    home = _home(tmp_path / "desk", onnx_cache)
    out = str(embedded["out"])
    code, text, _ = _run(capsys, "--home", home, "--model", "test", "import-embeddings", out)
    assert code == 0 and f"{N_GOOD + 1} wait for their photos" in text
    catalog = Path(home) / "data" / "catalog.sqlite3"
    code, text, _ = _run(capsys, "--home", home, "--model", "test", "add",
                         str(embedded["photos"]))  # fmt: skip
    assert code == 0 and ", 0 embedded, 3 skipped" in text
    state = _state(catalog)
    assert state["embeddings"] == N_GOOD + 1 and state["pending_vectors"] == 0
    assert state["photo_tags"] > 0  # suggestions made from the imported vectors
    code, text, _ = _run(capsys, "--home", home, "--model", "test", "search", "red circle",
                         "--limit", "1")  # fmt: skip
    assert code == 0 and "red_circle" in text
    # The thumbnails the grid shows were made although nothing was embedded here.
    assert len(list((Path(home) / "cache" / "thumbnails").rglob("*.jpg"))) >= N_GOOD + 1


@pytest.mark.cluster
def test_import_into_scanned_photos_then_index_embeds_nothing(
    embedded, tmp_path, onnx_cache, capsys
):
    from clipdesk.pipeline.library import Library
    from clipdesk.pipeline.scanner import scan

    home = _home(tmp_path / "desk", onnx_cache)
    lib = Library(home, "test")
    lib.catalog.add_folder(embedded["photos"])
    scan(lib.catalog)  # found, not embedded (an `add` stopped before embedding)
    lib.close()
    out = str(embedded["out"])
    code, text, _ = _run(capsys, "--home", home, "--model", "test", "import-embeddings", out)
    assert code == 0 and f"{N_GOOD + 1} photos of this library took theirs" in text
    catalog = Path(home) / "data" / "catalog.sqlite3"
    first = _state(catalog)
    assert first["embeddings"] == N_GOOD + 1 and first["photo_tags"] > 0
    # Importing twice changes nothing.
    assert _run(capsys, "--home", home, "--model", "test", "import-embeddings", out)[0] == 0
    assert _state(catalog) == first
    code, text, _ = _run(capsys, "--home", home, "--model", "test", "index")
    assert code == 0 and ", 0 embedded," in text
    assert _state(catalog)["embeddings"] == N_GOOD + 1


@pytest.mark.cluster
def test_another_model_is_refused_in_one_line(embedded, tmp_path, onnx_cache, capsys):
    from clipdesk.embedding.registry import TEST_MODEL_DIR

    home = _home(tmp_path / "desk", onnx_cache)
    other = tmp_path / "other-model"
    shutil.copytree(TEST_MODEL_DIR, other)  # same weights, another name
    code, out, err = _run(capsys, "--home", home, "--model", str(other), "import-embeddings",
                          str(embedded["out"]))  # fmt: skip
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "was embedded with test" in err and str(other) in err
    assert "Traceback" not in err


def _with_weights_hash(src: Path, dest: Path, digest: str) -> None:
    """A copy of a shards folder whose rows claim other weights."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    for i, f in enumerate(sorted((src / "shards").rglob("*.parquet"))):
        t = pq.read_table(f)
        t = t.set_column(
            t.schema.get_field_index("weights_sha256"), "weights_sha256",
            pa.array([digest] * len(t), pa.string()),
        )  # fmt: skip
        (dest / "shards" / "run").mkdir(parents=True, exist_ok=True)
        pq.write_table(t, dest / "shards" / "run" / f"{i}.parquet")


@pytest.mark.cluster
def test_other_weights_under_the_same_name_are_refused(embedded, tmp_path, onnx_cache, capsys):
    home = _home(tmp_path / "desk", onnx_cache)
    forged = tmp_path / "forged"
    _with_weights_hash(embedded["out"], forged, "ab" * 32)
    code, _, err = _run(capsys, "--home", home, "--model", "test", "import-embeddings",
                        str(forged))  # fmt: skip
    assert code == 1 and "test (weights abababababab)" in err and err.count("\n") == 1
    catalog = Path(home) / "data" / "catalog.sqlite3"
    assert not catalog.exists() or _state(catalog)["pending_vectors"] == 0


@pytest.mark.cluster
def test_only_known_keeps_no_vectors_for_photos_not_in_the_library(
    embedded, tmp_path, onnx_cache, capsys
):
    home = _home(tmp_path / "desk", onnx_cache)
    code, text, _ = _run(capsys, "--home", home, "--model", "test", "import-embeddings",
                         str(embedded["out"]), "--only-known")  # fmt: skip
    assert code == 0 and "0 photos of this library took theirs" in text
    assert "0 wait for their photos" in text
    assert _state(Path(home) / "data" / "catalog.sqlite3")["pending_vectors"] == 0
