"""``clipdesk import-embeddings DIR``: a cluster run's vectors into the library's catalog,
by content hash (pyarrow only, never Ray).

The shards' model (name and weights hash) must be the library's, else nothing is
imported. Every embedded row is staged as a pending vector (catalog/imports.py); photos
the catalog already holds with that content take theirs at once and then go through the
library's pipeline after embedding (keywords, suggestions), and the rest wait for the scan
that finds them (``clipdesk add``), which takes them instead of embedding. Importing the
same folder again changes nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from clipdesk.catalog.imports import ImportedVector, adopt_pending, pending_count, stage_vectors
from clipdesk.cluster import shards
from clipdesk.cluster.identity import model_identity
from clipdesk.errors import Fatal


class ModelMismatch(Fatal):
    """The shards were made with another model than the library's."""


@dataclass
class ImportReport:
    rows: int = 0  # embedded rows read from the shards
    staged: int = 0  # rows new to the catalog's pending vectors
    adopted: list[int] = field(default_factory=list)  # photos that got their vector now
    pending: int = 0  # vectors still waiting for a photo with their content
    tagged: int = 0  # photos whose suggestions were made
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


def check_model(library, out: shards.Output):
    """The library's model identity, after checking that DIR holds only its vectors."""
    found = shards.models_in(out)
    if not found:
        raise Fatal(f"{out.uri} holds no embeddings (run `clipdesk cluster-embed` into it)")
    mine = model_identity(library.engine.model, library.paths.model_weights)
    others = [(n, w) for n, w in found if (n, w) != (mine.name, mine.weights_sha256)]
    if others:
        theirs = ", ".join(f"{n} (weights {w[:12]})" for n, w in others)
        raise ModelMismatch(
            f"{out.uri} was embedded with {theirs}, but this library uses {mine.describe()}: "
            "import it into a library of that model (--model), or embed again with this one"
        )
    return mine


def import_embeddings(
    library, where: str, batch_rows: int = 8192, only_known: bool = False
) -> ImportReport:
    """Merge the shards in ``where`` into ``library``'s catalog (see the module's note);
    ``only_known``: keep no vectors for content the catalog does not hold (a desktop that
    takes a few folders out of a large archive)."""
    report = ImportReport()
    start = time.monotonic()
    out = shards.Output.open(where)
    ident = check_model(library, out)
    catalog = library.catalog
    model_id = None
    for batch in shards.embedded_batches(out, batch_rows):
        if not batch.num_rows:
            continue
        vectors = batch.column("vector")
        dim = vectors.type.list_size
        matrix = np.asarray(vectors.values.to_numpy(zero_copy_only=False), np.float32)
        matrix = matrix.reshape(batch.num_rows, dim)
        if model_id is None:
            model_id = catalog.model_id(ident.name, dim)
        cols = {name: batch.column(name).to_pylist() for name in shards.COLUMNS[:8]
                if name not in ("root", "path")}  # fmt: skip
        rows = (
            ImportedVector(
                cols["hash"][i],
                cols["size"][i],
                cols["width"][i],
                cols["height"][i],
                cols["orientation"][i] or 1,
                cols["taken_at"][i],
                matrix[i],
            )
            for i in range(batch.num_rows)
        )
        with catalog.transaction():
            report.staged += stage_vectors(catalog, model_id, rows, only_known)
        report.rows += batch.num_rows
    report.adopted = adopt_pending(catalog)
    report.pending = pending_count(catalog, model_id) if model_id is not None else 0
    report.seconds = time.monotonic() - start
    if report.adopted:  # keywords and suggestions, as after any embedding
        report.tagged = len(library.after_embedding().scored_ids)
    return report
