"""The output folder of ``clipdesk cluster-embed``: Parquet shards and a failures list.

::

    DIR/shards/RUN/*.parquet   one folder per run, written by Ray Data's write_parquet
    DIR/failures.jsonl         the files that could not be embedded, with their reason

A shard row is one photo: its content hash and size (the catalog's identity for content,
:func:`clipdesk.pipeline.scanner.content_hash`), its root and its path relative to that root, the
width and height as displayed, orientation and capture time, the model's name and weights
hash, and the L2-normalised float32 vector; or, for a file that could not be embedded, an
``error`` and no vector. DIR may be a local folder or any URI pyarrow's file systems open
(``s3://bucket/prefix``, ``gs://...``). Only pyarrow here, never Ray: an import reads the
shards without it.
"""

from __future__ import annotations

import json
import os
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pds
import pyarrow.fs as pafs

SHARDS = "shards"
FAILURES = "failures.jsonl"
COLUMNS = (
    "hash",
    "size",
    "root",
    "path",
    "width",
    "height",
    "orientation",
    "taken_at",
    "model",
    "weights_sha256",
    "vector",
    "error",
)


def shard_schema(dim: int) -> pa.Schema:
    """The shards' schema for a model of dimension ``dim``."""
    return pa.schema(
        [
            ("hash", pa.string()),
            ("size", pa.int64()),
            ("root", pa.string()),
            ("path", pa.string()),
            ("width", pa.int32()),
            ("height", pa.int32()),
            ("orientation", pa.int32()),
            ("taken_at", pa.string()),
            ("model", pa.string()),
            ("weights_sha256", pa.string()),
            ("vector", pa.list_(pa.float32(), dim)),
            ("error", pa.string()),
        ]
    )


@dataclass(frozen=True)
class Output:
    """DIR opened through pyarrow: a local folder or an object-store URI."""

    fs: pafs.FileSystem
    base: str  # DIR's path inside ``fs``
    uri: str  # DIR as Ray Data and people see it

    @classmethod
    def open(cls, where: str) -> Output:
        if "://" in where:
            fs, base = pafs.FileSystem.from_uri(where)
            return cls(fs, base.rstrip("/"), where.rstrip("/"))
        local = os.path.abspath(os.path.expanduser(where))
        return cls(pafs.LocalFileSystem(), local, local)

    def join(self, *parts: str) -> str:
        return posixpath.join(self.base, *parts)

    def uri_of(self, *parts: str) -> str:
        return posixpath.join(self.uri, *parts)

    def exists(self, *parts: str) -> bool:
        return self.fs.get_file_info(self.join(*parts)).type != pafs.FileType.NotFound

    def dataset(self, *parts: str) -> pds.Dataset | None:
        """The Parquet files under DIR/shards (or a run's folder), None when there are none."""
        where = self.join(SHARDS, *parts)
        if not self.exists(SHARDS, *parts):
            return None
        selector = pafs.FileSelector(where, recursive=True)
        files = [
            f.path
            for f in self.fs.get_file_info(selector)
            if f.type == pafs.FileType.File and f.path.endswith(".parquet")
        ]
        if not files:
            return None
        return pds.dataset(sorted(files), format="parquet", filesystem=self.fs)


def known_hashes(out: Output) -> set[str]:
    """Content already done in DIR: embedded, or failed with this very content (a file that
    failed and was then fixed has new content, so it is tried again)."""
    ds = out.dataset()
    if ds is None:
        return set()
    table = ds.to_table(columns=["hash"])
    return {h for h in table.column("hash").to_pylist() if h}


def run_counts(out: Output, run: str) -> tuple[int, int]:
    """(photos embedded, files failed) in one run's shards."""
    ds = out.dataset(run)
    if ds is None:
        return 0, 0
    errors = ds.to_table(columns=["error"]).column("error")
    failed = len(errors) - errors.null_count
    return len(errors) - failed, failed


def embedded_batches(out: Output, batch_rows: int = 8192) -> Iterator[pa.RecordBatch]:
    """The embedded rows of every shard in DIR, in batches (failures left out)."""
    ds = out.dataset()
    if ds is None:
        return
    yield from ds.to_batches(
        columns=[c for c in COLUMNS if c not in ("root", "path", "error")],
        filter=pc.field("error").is_null(),
        batch_size=batch_rows,
    )


def models_in(out: Output) -> list[tuple[str, str]]:
    """The distinct (model name, weights hash) pairs DIR's embedded rows were made with."""
    ds = out.dataset()
    if ds is None:
        return []
    table = ds.to_table(columns=["model", "weights_sha256"], filter=pc.field("error").is_null())
    pairs = table.group_by(["model", "weights_sha256"]).aggregate([])
    names, weights = pairs.column("model").to_pylist(), pairs.column("weights_sha256").to_pylist()
    return sorted(zip(names, weights, strict=True))


def write_failures(out: Output, extra: list[dict]) -> list[dict]:
    """Rewrite DIR/failures.jsonl: every failed row of the shards whose file has no embedded
    row (under the same root and path) since, plus ``extra`` (files that could not even be
    listed or hashed in this run). Returns what it wrote."""
    rows: list[dict] = []
    ds = out.dataset()
    if ds is not None:
        failed = ds.to_table(
            columns=["root", "path", "hash", "error"], filter=pc.field("error").is_valid()
        )
        if len(failed):
            keys = pc.binary_join_element_wise(failed["root"], failed["path"], "\0")
            done = ds.to_table(
                columns=["root", "path"],
                filter=pc.field("error").is_null() & pc.field("path").isin(failed["path"]),
            )
            fixed = set(pc.binary_join_element_wise(done["root"], done["path"], "\0").to_pylist())
            seen: set[str] = set()
            for key, row in zip(keys.to_pylist(), failed.to_pylist(), strict=True):
                if key not in fixed and key not in seen:
                    seen.add(key)
                    rows.append(
                        {k: row[k] for k in ("root", "path", "hash")} | {"reason": row["error"]}
                    )
    rows += extra
    rows.sort(key=lambda r: (r["root"], r["path"]))
    out.fs.create_dir(out.base, recursive=True)
    with out.fs.open_output_stream(out.join(FAILURES)) as f:
        f.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode())
    return rows


def read_failures(out: Output) -> list[dict]:
    if not out.exists(FAILURES):
        return []
    with out.fs.open_input_stream(out.join(FAILURES)) as f:
        return [json.loads(line) for line in f.read().decode().splitlines() if line.strip()]
