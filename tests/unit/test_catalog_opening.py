"""The catalog's open lock, the checks on imported vectors, and an unusable home (issue 26).

In one process: a flock on another descriptor of the same file conflicts as another
process's would, so the lock's rules are seen here without starting one; the CLI tests
(tests/integration/test_repair_exclusion.py) run them across real processes.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from clipdesk.catalog import Catalog
from clipdesk.catalog.imports import vector_problems
from clipdesk.catalog.opening import WAIT_MESSAGE, CatalogInUse, RepairLock
from clipdesk.catalog.repair import repair


def _catalog(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "catalog.sqlite3"
    with Catalog(path) as cat:
        cat.add_folder(tmp_path / "photos")
    return path


def _garbage(path: Path) -> bytes:
    path.write_bytes(b"this is no database, " * 300)
    return path.read_bytes()


def _backups(path: Path) -> list[str]:
    return [p.name for p in path.parent.iterdir() if ".damaged-" in p.name or ".recover" in p.name]


def test_repair_refuses_while_a_writer_has_the_catalog_open(tmp_path):
    path = _catalog(tmp_path)
    writer = Catalog(path)
    try:
        with pytest.raises(CatalogInUse, match="another ClipDesk process has the catalog"):
            repair(path)
    finally:
        writer.close()
    assert _backups(path) == []
    assert repair(path).healthy  # once it is closed


def test_a_second_repair_is_refused_and_touches_nothing(tmp_path):
    path = tmp_path / "catalog.sqlite3"
    before = _garbage(path)
    with RepairLock(path), pytest.raises(CatalogInUse, match="another `clipdesk repair`"):
        repair(path)
    assert path.read_bytes() == before and _backups(path) == []


def test_a_catalog_opened_during_a_repair_waits_for_it(tmp_path):
    path = _catalog(tmp_path)
    heard: list[str] = []
    opened = threading.Event()

    def open_it():
        import clipdesk.catalog.busy as busy

        busy.set_default_notice(heard.append)
        try:
            with Catalog(path) as cat:
                opened.set()
                assert cat.folders()
        finally:
            busy.set_default_notice(None)

    with RepairLock(path):
        thread = threading.Thread(target=open_it)
        thread.start()
        assert not opened.wait(0.5)  # waiting while the repair holds the catalog
    thread.join(10)
    assert opened.is_set() and heard == [WAIT_MESSAGE]


def test_a_healthy_catalog_is_left_as_it_is(tmp_path):
    path = _catalog(tmp_path)
    before = path.read_bytes()
    report = repair(path)
    assert report.healthy and report.backup is None and report.counts["folders"] == 1
    assert path.read_bytes() == before and _backups(path) == []


def _unit(n: int, dim: int) -> np.ndarray:
    v = np.random.default_rng(1).normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.mark.parametrize(
    "change, row, words",
    [
        (lambda v: v.__setitem__((2, 0), np.nan), 2, "NaN or infinite"),
        (lambda v: v.__setitem__((1, 3), np.inf), 1, "NaN or infinite"),
        (lambda v: v.__setitem__(3, 0.0), 3, "length (L2 norm) is 0"),
        (lambda v: v.__setitem__(0, 3e38), 0, "not 1"),
        (lambda v: v.__setitem__(4, 1 / np.sqrt(16)), 4, "every value of the vector is 0.25"),
        (lambda v: v.__setitem__(2, v[2] * 1.5), 2, "is 1.5, not 1"),
    ],
)
def test_unsound_vectors_are_named_by_row(change, row, words):
    v = _unit(6, 16)
    assert vector_problems(v, 16) is None
    change(v)
    found = vector_problems(v, 16)
    assert found is not None and found[0] == row and words in found[1], found


def test_vectors_of_another_dimension_are_refused():
    found = vector_problems(_unit(3, 7), 16)
    assert found == (0, "the vector has 7 values, but the model's vectors have 16")


@pytest.mark.parametrize("under_a_file", [False, True])
def test_a_home_that_is_a_file_is_one_line(tmp_path, under_a_file):
    from clipdesk.home import HomeUnusable, app_paths

    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    home = blocker / "home" if under_a_file else blocker
    with pytest.raises(HomeUnusable) as err:
        app_paths(home).ensure()
    text = str(err.value)
    assert isinstance(err.value, OSError) and "\n" not in text
    assert f"{blocker} is a file, not a folder" in text and "--home" in text
