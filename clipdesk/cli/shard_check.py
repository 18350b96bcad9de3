"""Every row of a cluster run's shards checked before `clipdesk import-embeddings` keeps
any (pyarrow only, loaded when that command runs).

A shard is input from elsewhere: a folder written by another version, edited by hand, or
not ClipDesk's at all. One bad vector (the wrong size, NaN, a zero vector, a huge one)
would break every later search, or make all photos one duplicate group, and a wrong size
would be stored as the model's dimension. So the whole folder is read first: the columns
and their types, then each embedded row's values (its content's identity, the model that
made it, and its vector: the model's dimension, finite, of length 1, not constant). The
first bad row is refused in one line naming its file and row, and nothing is imported.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from clipdesk.catalog.imports import vector_problems
from clipdesk.cluster import shards
from clipdesk.errors import Fatal

BATCH_ROWS = 8192
STRINGS = ("hash", "model", "weights_sha256", "taken_at", "error")
INTEGERS = ("size", "width", "height", "orientation")
NEEDED = ("hash", "size", "model", "weights_sha256")  # in every embedded row
POSITIVE = ("size", "width", "height")


class BadShard(Fatal):
    """A shard that is not what `clipdesk cluster-embed` writes: nothing was imported."""


def _refuse(where: str, row: int | None, reason: str) -> BadShard:
    at = f", row {row} (counting from 0)" if row is not None else ""
    return BadShard(
        f"{where}{at}: {reason}; nothing was imported (the shards are not as "
        "`clipdesk cluster-embed` writes them: embed again, or take the file out)"
    )


def _files(out: shards.Output) -> list[str]:
    """The Parquet files under DIR/shards, as ``shards.Output.dataset`` finds them."""
    if not out.exists(shards.SHARDS):
        return []
    found = out.fs.get_file_info(pafs.FileSelector(out.join(shards.SHARDS), recursive=True))
    return sorted(
        f.path for f in found if f.type == pafs.FileType.File and f.path.endswith(".parquet")
    )


def _open(out: shards.Output, path: str, name: str) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(out.fs.open_input_file(path))
    except (pa.ArrowException, OSError) as exc:
        raise _refuse(name, None, f"it cannot be read as Parquet ({exc})") from None


def _schema_problem(schema: pa.Schema) -> str | None:
    for name in shards.COLUMNS:
        if name in ("root", "path"):  # shown to people only; an import never reads them
            continue
        if schema.get_field_index(name) < 0:
            return f"it has no column {name!r}"
        kind = schema.field(name).type
        if name in STRINGS and not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            return f"its column {name!r} is {kind}, not a string"
        if name in INTEGERS and not pa.types.is_integer(kind):
            return f"its column {name!r} is {kind}, not an integer"
    kind = schema.field("vector").type
    if not pa.types.is_fixed_size_list(kind) or not pa.types.is_floating(kind.value_type):
        return f"its column 'vector' is {kind}, not a fixed-size list of floats"
    return None


def _row_problem(row: dict) -> str | None:
    for name in NEEDED:
        if row[name] is None or row[name] == "":
            return f"its {name} is missing"
    for name in POSITIVE:
        if row[name] is not None and row[name] <= 0:
            return f"its {name} is {row[name]}"
    if row["orientation"] is not None and not 1 <= row["orientation"] <= 8:
        return f"its orientation is {row['orientation']}, not 1 to 8"
    return None


def check_shards(library, where: str) -> None:
    """Raise :class:`BadShard` (one line, file and row) unless every shard in ``where`` is
    sound for ``library``'s model; a folder of another model is refused by the importer's
    own check first, in its words. Reads the shards; writes nothing."""
    from clipdesk.cluster.importer import check_model

    out = shards.Output.open(where)
    files = _files(out)
    for path in files:  # the columns, and the rows' values other than the vector
        name = out.uri_of(path[len(out.base) :].lstrip("/"))
        shard = _open(out, path, name)
        problem = _schema_problem(shard.schema_arrow)
        if problem:
            raise _refuse(name, None, problem)
        first = 0
        columns = [c for c in shards.COLUMNS if c not in ("root", "path", "vector")]
        for batch in shard.iter_batches(BATCH_ROWS, columns=columns):
            for i, row in enumerate(batch.to_pylist()):
                problem = None if row["error"] is not None else _row_problem(row)
                if problem:
                    raise _refuse(name, first + i, problem)
            first += batch.num_rows
    ident = check_model(library, out)  # ModelMismatch: another model's shards
    known = library.catalog.find_model(ident.name)
    dim = known[1] if known else library.embedder.dim
    for path in files:  # the vectors
        name = out.uri_of(path[len(out.base) :].lstrip("/"))
        shard = _open(out, path, name)
        first = 0
        for batch in shard.iter_batches(BATCH_ROWS, columns=["vector", "error"]):
            problem = _vector_problem(batch, dim, ident.name)
            if problem is not None:
                raise _refuse(name, first + problem[0], problem[1])
            first += batch.num_rows


def _vector_problem(batch: pa.RecordBatch, dim: int, model: str) -> tuple[int, str] | None:
    """The first embedded row of ``batch`` whose vector is missing or unsound, as (row in
    the batch, reason)."""
    embedded = np.flatnonzero(batch.column("error").is_null().to_numpy(zero_copy_only=False))
    if not len(embedded):
        return None
    vectors = batch.column("vector").take(pa.array(embedded))
    missing = np.flatnonzero(vectors.is_null().to_numpy(zero_copy_only=False))
    if len(missing):
        return int(embedded[missing[0]]), "its vector is missing"
    size = vectors.type.list_size
    if size != dim:
        return int(embedded[0]), f"the vector has {size} values, but {model}'s have {dim}"
    matrix = vectors.flatten().to_numpy(zero_copy_only=False).reshape(-1, size)
    found = vector_problems(matrix, dim)
    return None if found is None else (int(embedded[found[0]]), found[1])
