"""The scale-out commands: cluster-embed (a Ray cluster embeds an archive into Parquet
shards) and import-embeddings (the shards into this library's catalog, by content).

Ray and pyarrow (``clipdesk[cluster]``) are imported only when one of them runs.
"""

from __future__ import annotations

from clipdesk.cli.args import number, positive_int
from clipdesk.errors import Fatal
from clipdesk.pathnames import shown
from clipdesk.wording import plural

EXIT_OK = 0


def add_parsers(sub, common) -> None:
    ce = sub.add_parser(
        "cluster-embed",
        parents=[common],
        help="embed photo folders on a Ray cluster into Parquet shards (clipdesk[cluster])",
    )
    ce.add_argument("sources", nargs="+", metavar="FOLDER", help="photo folders (on every node)")
    ce.add_argument(
        "--output", required=True, metavar="DIR", help="shards folder or URI (s3://...)"
    )
    ce.add_argument(
        "--address",
        help="the Ray cluster: 'auto' (the one this machine belongs to) or ray://HOST:PORT; "
        "default: a Ray on this machine",
    )
    ce.add_argument("--batch-size", type=positive_int, help="photos per model call")
    ce.add_argument(
        "--gpus-per-worker",
        type=number(0),
        metavar="G",
        help="GPUs per model actor (default: 1 where the cluster has GPUs, else 0: CPU)",
    )
    ie = sub.add_parser(
        "import-embeddings",
        parents=[common],
        help="bring a cluster-embed output folder into this library, by content",
    )
    ie.add_argument("output", metavar="DIR")
    ie.add_argument(
        "--only-known",
        action="store_true",
        help="keep no vectors for photos this library does not hold yet (by default they "
        "wait, and a later `add` of their folder takes them instead of embedding)",
    )


def cmd_cluster_embed(library, args) -> int:
    import os

    from clipdesk.cluster import require

    require("cluster-embed", "pyarrow", "ray.data")
    from clipdesk.cluster.pipeline import ClusterConfig, run

    roots = []
    for src in args.sources:
        if not os.path.isdir(src):
            raise Fatal(f"not a folder: {shown(src)}")
        roots.append(os.path.abspath(src))
    cfg = ClusterConfig(
        roots,
        args.output,
        library.engine.model if isinstance(library.engine.model, str) else library.model_name,
        address=args.address,
        batch_size=args.batch_size,
        gpus_per_worker=args.gpus_per_worker,
        backend=args.backend,
        weights_dir=library.paths.model_weights,
        onnx_dir=library.paths.onnx_models,
    )
    s = run(cfg)
    where = "GPU" if s.gpus_per_actor else "CPU"
    print(
        f"{plural(s.listed, 'photo')} listed: {s.embedded} embedded, {s.skipped} already done, "
        f"{s.failed} failed; {s.rate:.1f} photos/s on {plural(s.actors, where + ' model actor')}, "
        f"{s.model}"
    )
    print(f"shards: {shown(args.output)}/shards/{s.run}")
    if s.failures:
        print(f"{plural(len(s.failures), 'file')} could not be embedded (failures.jsonl):")
        for f in s.failures[:20]:
            print(f"  {shown(f['root'])}/{shown(f['path'])}: {shown(f['reason'])}")
        if len(s.failures) > 20:
            print(f"  ... and {len(s.failures) - 20} more")
    return EXIT_OK


def cmd_import_embeddings(library, args) -> int:
    from clipdesk.cluster import require

    require("import-embeddings", "pyarrow")
    from clipdesk.cli.shard_check import check_shards
    from clipdesk.cluster.importer import import_embeddings

    check_shards(library, args.output)  # every row first: a bad shard imports nothing
    r = import_embeddings(library, args.output, only_known=args.only_known)
    print(
        f"{plural(r.rows, 'vector')} read ({r.rate:.0f}/s): {plural(len(r.adopted), 'photo')} "
        "of this library "
        f"took theirs ({r.tagged} tagged), {r.pending} wait for their photos (a later "
        "`clipdesk add` of their folder takes them instead of embedding)"
    )
    return EXIT_OK


COMMANDS = {"cluster-embed": cmd_cluster_embed, "import-embeddings": cmd_import_embeddings}
