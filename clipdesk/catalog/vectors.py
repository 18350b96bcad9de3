"""Search-ready vectors: one memory-mapped matrix per model beside the catalog (no Qt).

The catalog stays the source of truth; ``data/vectors/`` holds, per model, what a search
needs at once from a cold start:

- ``model-<id>-f32.json``: the header (the commit point, replaced atomically),
- ``model-<id>-f32-<token>.ids``: int64 photo ids, one per row,
- ``model-<id>-f32-<token>.vec``: the L2-normalised vectors, row-major float32 (``-f16``:
  float16, half the size),
- ``model-<id>-f32-<token>.u8`` and ``.scale``: the same rows at one byte per dimension and
  their float32 scales (catalog/compact.py), what a search scans before re-scoring a
  shortlist exactly from ``.vec``; the header keeps their largest quantisation error.

The header records how many rows are valid and the catalog state they reflect: its uuid,
``gen`` (bumped by every change a file cannot follow by appending) and ``seq`` (the stamp
of the newest searchable embedding), kept by triggers (catalog/schema.py, V5). Opening
costs one tiny query: same uuid and gen, and ``seq`` equal: use the file as it is; seq
newer: append the embeddings stamped after it; anything else, or a header, size or
checksum that does not add up: rebuild from the catalog, never trusting the file.

Writes are crash-safe: an append writes past the valid rows, then replaces the header;
a rebuild writes new data files under a new token, then replaces the header. A killed
process leaves at worst unused bytes or files, which the next writer truncates or
deletes. One writer at a time (an advisory lock file); a process that cannot write (the
lock is busy, the folder is read-only) searches on the file plus what it read from the
catalog, or on the catalog in memory.

What is checked on open: the header's fields, the files' sizes, a CRC-32 of the ids and
of a sample of rows (of each matrix). Damage inside the vector bytes outside that sample is
not detected. Version 1 files (no compact matrix) are rebuilt once.
"""

from __future__ import annotations

import json
import os
import uuid
import zlib
from collections.abc import Iterable
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from clipdesk.catalog import compact
from clipdesk.catalog.db import Catalog

try:  # POSIX; elsewhere writers are not locked against each other
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

MAGIC = "clipdesk-vectors"
VERSION = 2  # 2: the compact matrix (.u8, .scale) beside the float file
DTYPES = {"float16": "f16", "float32": "f32"}
FILES = {"ids_file": "ids", "vec_file": "vec", "codes_file": "u8", "scales_file": "scale"}
# float32 by default: numpy has no fast float16 arithmetic or conversion, so a float16
# matrix is scored by casting blocks to float32, which makes the product 9-15x slower than
# float32 on an AVX2 CPU (benchmarks/README.md, search.py). float16 halves the file, the
# memory and the pages a cold search reads, and ranks the same (top-50 overlap 1.00);
# choose it where memory matters more than latency.
DEFAULT_DTYPE = "float32"
SAMPLE_ROWS = 64


@dataclass
class Vectors:
    """Photo ids and their vectors (rows L2-normalised), and where they came from:
    'file' (as stored), 'appended', 'rebuilt', or 'memory' (the catalog, not stored)."""

    ids: np.ndarray
    matrix: np.ndarray
    source: str
    compact: Compact | None = None


@dataclass
class Compact:
    """The rows at one byte per dimension (catalog/compact.py): ``codes`` (n, dim) uint8,
    ``scales`` (n,) float32, ``row_err`` the largest quantisation error of a row."""

    codes: np.ndarray
    scales: np.ndarray
    row_err: float


class _Damaged(Exception):
    pass


def vectors_dir(catalog: Catalog) -> Path | None:
    """Where the catalog's vector files live: ``vectors/`` beside it (None: in memory)."""
    if str(catalog.path) in ("", ":memory:"):
        return None
    return catalog.path.parent / "vectors"


def _sample(n: int) -> np.ndarray:
    # Strictly increasing (the step is at least 1), so unique already; np.unique would
    # import numpy.ma (~15 ms of every cold search).
    return np.linspace(0, n - 1, min(n, SAMPLE_ROWS)).astype(np.int64) if n else []


class VectorFile:
    """The search-ready vectors of one model of one catalog."""

    def __init__(self, folder: str | os.PathLike[str], model_id: int, dtype: str = DEFAULT_DTYPE):
        if dtype not in DTYPES:
            raise ValueError(f"vector files hold float16 or float32, not {dtype}")
        self.folder = Path(folder)
        self.model_id = model_id
        self.dtype = np.dtype(dtype)
        self.stem = f"model-{model_id}-{DTYPES[dtype]}"
        self.header_path = self.folder / f"{self.stem}.json"

    # -- reading --------------------------------------------------------------------------

    def read_header(self) -> dict | None:
        try:
            head = json.loads(self.header_path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise _Damaged(f"unreadable header: {exc}") from None
        if not isinstance(head, dict) or head.get("magic") != MAGIC:
            raise _Damaged("not a vector header")
        try:
            ok = (
                head["version"] == VERSION
                and head["model_id"] == self.model_id
                and head["dtype"] == self.dtype.name
                and all(
                    isinstance(head[k], int) and head[k] >= 0 for k in ("n", "dim", "gen", "seq")
                )
                and all(isinstance(head[k], int) for k in ("ids_crc", "sample_crc", "codes_crc"))
                and isinstance(head["row_err"], float)
                and 0 <= head["row_err"] < 1
                and isinstance(head["uuid"], str)
                and all(
                    isinstance(head[k], str)
                    and head[k].startswith(self.stem + "-")
                    and Path(head[k]).name == head[k]
                    for k in FILES
                )
            )
        except KeyError as exc:
            raise _Damaged(f"header lacks {exc}") from None
        if not ok:
            raise _Damaged("header fields do not add up")
        return head

    def _row_bytes(self, dim: int) -> dict[str, int]:
        return {
            "ids_file": 8,
            "vec_file": dim * self.dtype.itemsize,
            "codes_file": dim,
            "scales_file": 4,
        }

    def map(self, head: dict) -> Vectors:
        """The header's rows, memory-mapped read-only, checked against its sizes and sums."""
        n, dim = head["n"], head["dim"]
        paths = {k: self.folder / head[k] for k in FILES}
        try:
            sizes = {k: p.stat().st_size for k, p in paths.items()}
        except OSError as exc:
            raise _Damaged(f"data file: {exc}") from None
        if any(sizes[k] < n * size for k, size in self._row_bytes(dim).items()):
            raise _Damaged("data files are shorter than the header says (truncated)")
        if n == 0:
            empty = compact.quantise(np.zeros((0, dim), np.float32))
            return Vectors(
                np.zeros(0, np.int64),
                np.zeros((0, dim), self.dtype),
                "file",
                Compact(empty[0], empty[1], 0.0),
            )
        ids = np.memmap(paths["ids_file"], np.int64, "r", shape=(n,))
        matrix = np.memmap(paths["vec_file"], self.dtype, "r", shape=(n, dim))
        codes = np.memmap(paths["codes_file"], np.uint8, "r", shape=(n, dim))
        scales = np.memmap(paths["scales_file"], np.float32, "r", shape=(n,))
        if zlib.crc32(ids) != head["ids_crc"]:
            raise _Damaged("photo ids do not match their checksum")
        if zlib.crc32(np.ascontiguousarray(matrix[_sample(n)])) != head["sample_crc"]:
            raise _Damaged("vectors do not match their checksum")
        if _compact_crc(codes, scales) != head["codes_crc"]:
            raise _Damaged("the compact matrix does not match its checksum")
        return Vectors(ids, matrix, "file", Compact(codes, scales, head["row_err"]))

    # -- writing --------------------------------------------------------------------------

    @contextmanager
    def lock(self):
        """Yields True while this process is the one writer, False when it cannot write."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.folder / f"{self.stem}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            yield False
            return
        try:
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    yield False
                    return
            yield True
        finally:
            os.close(fd)  # releases the lock

    def _write_header(self, head: dict) -> None:
        tmp = self.header_path.with_name(f"{self.header_path.name}.{uuid.uuid4().hex}.tmp")
        try:
            with open(tmp, "wb") as f:
                f.write(json.dumps(head, sort_keys=True).encode())
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.header_path)
        finally:
            with suppress(OSError):
                tmp.unlink()

    def _append_rows(self, head: dict, chunks: Iterable[tuple[np.ndarray, np.ndarray]]) -> dict:
        """Write ``chunks`` after the header's rows; returns the header that commits them
        (not yet written)."""
        n, dim = head["n"], head["dim"]
        ids_crc, row_err = head["ids_crc"], head["row_err"]
        files = {k: open(self.folder / head[k], "r+b") for k in FILES}  # noqa: SIM115
        try:
            for key, size in self._row_bytes(dim).items():
                files[key].seek(n * size)
                files[key].truncate()  # bytes a killed append left behind
            for ids, mat in chunks:
                ids = np.ascontiguousarray(ids, np.int64)
                codes, scales, err = compact.quantise(mat)
                files["ids_file"].write(ids.tobytes())
                files["vec_file"].write(np.ascontiguousarray(mat, self.dtype).tobytes())
                files["codes_file"].write(codes.tobytes())
                files["scales_file"].write(scales.tobytes())
                ids_crc = zlib.crc32(ids, ids_crc)
                row_err = max(row_err, err)
                n += len(ids)
            for f in files.values():
                f.flush()
                os.fsync(f.fileno())
        finally:
            for f in files.values():
                f.close()
        sample = codes_crc = 0
        if n:
            matrix = np.memmap(self.folder / head["vec_file"], self.dtype, "r", shape=(n, dim))
            sample = zlib.crc32(np.ascontiguousarray(matrix[_sample(n)]))
            codes = np.memmap(self.folder / head["codes_file"], np.uint8, "r", shape=(n, dim))
            scales = np.memmap(self.folder / head["scales_file"], np.float32, "r", shape=(n,))
            codes_crc = _compact_crc(codes, scales)
        return {
            **head,
            "n": n,
            "ids_crc": ids_crc,
            "sample_crc": sample,
            "codes_crc": codes_crc,
            "row_err": float(row_err),
        }

    def _rebuild(self, state: tuple[str, int, int], dim: int, chunks) -> dict:
        token = uuid.uuid4().hex[:12]
        head = {
            "magic": MAGIC,
            "version": VERSION,
            "model_id": self.model_id,
            "dtype": self.dtype.name,
            "dim": dim,
            "n": 0,
            "uuid": state[0],
            "gen": state[1],
            "seq": state[2],
            **{key: f"{self.stem}-{token}.{ext}" for key, ext in FILES.items()},
            "ids_crc": 0,
            "sample_crc": 0,
            "codes_crc": 0,
            "row_err": 0.0,
        }
        for key in FILES:
            (self.folder / head[key]).write_bytes(b"")
        return self._append_rows(head, chunks)

    def write(self, state: tuple[str, int, int], dim: int, chunks) -> Vectors:
        """Write a new file of ``chunks`` ((ids, float32 rows) pairs) for catalog ``state``
        (uuid, gen, seq), replacing the old one: what a rebuild does."""
        self.folder.mkdir(parents=True, exist_ok=True)
        head = self._rebuild(state, dim, _normalised(chunks, self.dtype))
        self._write_header(head)
        self._remove_unused(head)
        return replace(self.map(head), source="rebuilt")

    def _remove_unused(self, head: dict) -> None:
        keep = {*(head[k] for k in FILES), self.header_path.name}
        leftovers = [*self.folder.glob(f"{self.stem}-*"), *self.folder.glob(f"{self.stem}.json.*")]
        for path in leftovers:  # old data files, headers a killed writer left half-written
            if path.name not in keep:
                with suppress(OSError):  # a reader may hold it open (Windows)
                    path.unlink()

    # -- the one entry point --------------------------------------------------------------

    def load(self, catalog: Catalog) -> Vectors:
        """The searchable vectors of this model, from the file when it is fresh, appended
        or rebuilt from ``catalog`` when not; from the catalog in memory when the file
        cannot be written."""
        with catalog.snapshot():
            state = catalog.vector_state()
            dim = catalog.model_dim(self.model_id)
            if state is None or dim is None:
                return _in_memory(catalog, self.model_id)
            with self.lock() as writer:
                head, mapped = self._usable(state, dim)
                if mapped is not None and head["seq"] == state[2]:
                    return mapped
                if writer:
                    try:
                        return self._update(
                            catalog, state, dim, head if mapped is not None else None
                        )
                    except OSError:  # a full disk, a read-only file: search from memory
                        pass
                if mapped is None:
                    return _in_memory(catalog, self.model_id)
                new = catalog.embedding_chunks(self.model_id, after_seq=head["seq"])
                return _joined(mapped, new, self.dtype)

    def _update(self, catalog: Catalog, state, dim: int, head: dict | None) -> Vectors:
        """Append the rows newer than ``head``, or rebuild when there is no usable head."""
        if head is not None:
            new = catalog.embedding_chunks(self.model_id, after_seq=head["seq"])
            head, source = self._append_rows(head, _normalised(new, self.dtype)), "appended"
        else:
            chunks = catalog.embedding_chunks(self.model_id)
            head, source = self._rebuild(state, dim, _normalised(chunks, self.dtype)), "rebuilt"
        head["seq"] = state[2]
        self._write_header(head)
        self._remove_unused(head)
        return replace(self.map(head), source=source)

    def _usable(self, state, dim) -> tuple[dict | None, tuple | None]:
        """The header and the mapped rows when the file can serve ``state`` (as it is or
        by appending), else (None, None)."""
        try:
            head = self.read_header()
            if head is None or head["dim"] != dim or head["uuid"] != state[0]:
                return None, None
            if head["gen"] != state[1] or head["seq"] > state[2]:
                return None, None  # stale in a way appending cannot fix
            return head, self.map(head)
        except _Damaged:
            return None, None


def _normalised(chunks, dtype: np.dtype):
    for ids, mat in chunks:
        norms = np.linalg.norm(mat, axis=1, keepdims=True)
        yield ids, (mat / np.maximum(norms, 1e-12)).astype(dtype)


def _compact_crc(codes: np.ndarray, scales: np.ndarray) -> int:
    rows = _sample(len(codes))
    crc = zlib.crc32(np.ascontiguousarray(codes[rows]))
    return zlib.crc32(np.ascontiguousarray(scales[rows]), crc)


def _joined(mapped: Vectors, chunks, dtype: np.dtype, source: str = "memory") -> Vectors:
    """The mapped rows and the newer ones from the catalog, in memory (not stored)."""
    parts = [(mapped.ids, mapped.matrix), *_normalised(chunks, dtype)]
    return Vectors(
        np.concatenate([p[0] for p in parts]).astype(np.int64, copy=False),
        np.concatenate([np.asarray(p[1], dtype) for p in parts]),
        source,
    )


def _in_memory(catalog: Catalog, model_id: int) -> Vectors:
    ids, matrix = catalog.embedding_matrix(model_id)
    return Vectors(ids, matrix, "memory")


def load_vectors(catalog: Catalog, model_id: int, dtype: str = DEFAULT_DTYPE) -> Vectors:
    """The searchable vectors of ``model_id``, through its file beside the catalog."""
    folder = vectors_dir(catalog)
    if folder is None:
        return _in_memory(catalog, model_id)
    return VectorFile(folder, model_id, dtype).load(catalog)
