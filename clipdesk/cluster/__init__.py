"""Embedding an archive on a Ray cluster, and bringing the result into a catalog.

``clipdesk cluster-embed`` (:mod:`clipdesk.cluster.pipeline`, the only module that imports
Ray) lists photos, decodes them in CPU tasks with the desktop's own imaging and
preprocessing code (:mod:`clipdesk.cluster.stages`), embeds them in a pool of model actors
and writes Parquet shards (:mod:`clipdesk.cluster.shards`). ``clipdesk import-embeddings``
(:mod:`clipdesk.cluster.importer`, pyarrow only) merges the shards into the catalog by
content hash. Nothing outside this package and ``clipdesk/cli/cluster.py`` imports it, and
those import it only when one of the two commands runs: Ray and pyarrow are the optional
extra ``clipdesk[cluster]``.
"""

from importlib import import_module

from clipdesk.errors import Fatal


def require(what: str, *modules: str) -> None:
    """Import ``modules`` (Ray, pyarrow) or say in one line how to install them."""
    for name in modules:
        try:
            import_module(name)
        except ImportError as exc:
            raise Fatal(
                f"{what} needs the cluster extra: pip install 'clipdesk[cluster]' ({exc})"
            ) from None
