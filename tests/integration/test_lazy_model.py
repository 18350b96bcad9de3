"""Commands do only the work they need: those that work from the catalog never load a
model, search and a no-op index run without torch or open_clip (the ONNX export being
cached) and import none of the other commands' machinery, and the worker loads the model
only when a photo needs it. Real processes."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

from tests.support.catalog_reads import count
from tests.support.cli import run
from tests.support.polling import wait_until
from tests.support.repo import SHAPES_VOCAB
from tests.support.snippets import RUN_CLIPDESK, run_snippet

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "torchvision", "open_clip", "onnxruntime")

# Runs `clipdesk ARGS...` as `python -m clipdesk` does, recording every call of
# load_embedder (a wrapper around the real one), and reports at exit which of HEAVY were
# imported: one JSON line on stderr; then every module imported, on a line of its own.
PROBE = textwrap.dedent(
    """
    import json, runpy, sys
    HEAVY = ("torch", "torchvision", "open_clip", "onnxruntime")
    import clipdesk.embedding as embedding
    import clipdesk.embedding.backends as backends
    calls, real = [], backends.load_embedder
    def load_embedder(*args, **kw):
        calls.append(repr(args))
        return real(*args, **kw)
    backends.load_embedder = embedding.load_embedder = load_embedder
    {run}
    imported = sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY))
    print("PROBE " + json.dumps({"rc": rc, "loads": len(calls), "imported": imported}),
          file=sys.stderr)
    print("MODULES " + json.dumps(sorted(sys.modules)), file=sys.stderr)
    """
).replace("{run}", RUN_CLIPDESK)


# What a command does not need, by the command: the GUI, the other commands' machinery
# (the worker's service and watcher, decoding, tagging, learning, duplicates), the HTTP
# stack (the weights are on disk) and the YAML reader. Each was once imported at start by
# every command, through the CLI importing all command groups (issue 10's start-up budget).
NOT_FOR_ANY = ("PySide6", "yaml", "http.client", "clipdesk.worker.service", "watchdog")
NOT_NEEDED = {
    "search": (
        *NOT_FOR_ANY,
        "clipdesk.imaging",
        "clipdesk.pipeline.indexer",
        "clipdesk.pipeline.scanner",
        "clipdesk.tagging.tagger",
        "clipdesk.ops.learning",
        "clipdesk.ops.duplicates",
        "clipdesk.ops.vocabulary",
    ),
    "index": (
        *NOT_FOR_ANY,
        "clipdesk.ops.search",
        "clipdesk.ops.duplicates",
        "clipdesk.search.index",
    ),
    "status": (
        *NOT_FOR_ANY,
        "clipdesk.imaging",
        "clipdesk.pipeline.indexer",
        "clipdesk.tagging.tagger",
        "clipdesk.ops.learning",
        "clipdesk.ops.search",
        "clipdesk.embedding.tokenizer",
    ),
}


def unneeded(seen: dict, command: str) -> list[str]:
    """The modules of NOT_NEEDED[command] (or their submodules) that the probe saw."""
    return sorted(
        name
        for name in NOT_NEEDED[command]
        if any(m == name or m.startswith(name + ".") for m in seen["modules"])
    )


def probe(*args: str, modules: bool = False) -> tuple[dict, str]:
    """(what the probe saw, stdout) of `clipdesk ARGS...` in a fresh process; with
    ``modules``, what it saw includes every module imported."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = run_snippet(PROBE, *args, env=env)
    line = [x for x in proc.stderr.splitlines() if x.startswith("PROBE ")]
    assert line, proc.stderr
    seen = json.loads(line[-1][len("PROBE ") :])
    assert seen["rc"] == 0, proc.stderr
    if modules:
        listed = [x for x in proc.stderr.splitlines() if x.startswith("MODULES ")]
        seen["modules"] = set(json.loads(listed[-1][len("MODULES ") :]))
    return seen, proc.stdout


def test_search_and_a_no_op_index_need_neither_torch_nor_open_clip(home, shapes):
    run("--model", "test", "add", str(shapes))  # exports the model to ONNX (once) and embeds

    seen, out = probe("search", "red circle", "--limit", "2", "--json", modules=True)
    assert [Path(h["path"]).name.split("_", 1)[1] for h in json.loads(out)] == [
        "red_circle.jpg"
    ] * 2
    assert seen["loads"] == 1 and seen["imported"] == ["onnxruntime"], seen
    assert unneeded(seen, "search") == []

    seen, out = probe("index", modules=True)
    assert "0 new" in out and "0 embedded" in out
    assert unneeded(seen, "index") == []
    del seen["modules"]
    assert seen == {"rc": 0, "loads": 0, "imported": []}  # no model, no ONNX Runtime even

    seen, out = probe("status", modules=True)
    assert "36 indexed" in out
    assert seen["loads"] == 0 and seen["imported"] == [] and unneeded(seen, "status") == []


# Loads the test model's cached ONNX export in a fresh process, as the worker does, and
# reports whether ONNX Runtime came in with the load or is left for the first batch.
LOAD = textwrap.dedent(
    """
    import sys
    from clipdesk.embedding import load_embedder
    from clipdesk.home import app_paths
    paths = app_paths(sys.argv[1])
    emb = load_embedder("test", backend="onnx", weights_dir=paths.model_weights,
                        onnx_dir=paths.onnx_models)
    print("onnxruntime" in sys.modules)
    """
)


def test_onnx_runtime_comes_in_with_the_model_not_inside_its_first_batch(home, shapes):
    """ONNX Runtime's module holds the GIL for ~50 ms as it initialises. Imported inside the
    first batch, beside the decode threads, it was caught in the window's longest stalls."""
    run("--model", "test", "add", str(shapes))  # the export, cached
    proc = run_snippet(LOAD, str(home), env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True"], proc.stdout


def test_commands_that_work_from_the_catalog_never_load_the_model(home, shapes, tmp_path):
    run("--model", "test", "add", str(shapes))
    red = str(sorted(shapes.glob("*red_circle.jpg"))[0])
    commands = [
        ("status",),
        ("tags", red),
        ("tag", red, "--confirm", "Colours|Red"),  # learns at once: the vectors are cached
        ("undo",),
        ("tag", red, "--reject", "Shapes|Circle"),
        ("review", "--limit", "5"),
        ("vocab", "export", str(tmp_path / "vocab.yaml")),
        ("export", "--dry-run"),
    ]
    for args in commands:
        seen, out = probe(*args)
        assert seen == {"rc": 0, "loads": 0, "imported": []}, (args, seen)
        if args[0] == "review":
            assert len(out.splitlines()) == 5  # scored from the catalog's tag vectors
    learn_queue = "SELECT COUNT(*) FROM learn_queue"
    assert count(home, learn_queue) == 0  # what `tag` decided is learned already

    # A brand-new tag has no vector yet: it waits in the learning queue, silently, for the
    # next command that has the model; a no-op index is one, and loads the model for it.
    seen, out = probe("tag", red, "--add", "Holiday|Beach")
    assert seen["loads"] == 0 and "Holiday|Beach: confirmed on 1 photo" in out
    assert count(home, learn_queue) == 1
    seen, _ = probe("index")
    assert seen["loads"] == 1 and "torch" not in seen["imported"]
    assert count(home, learn_queue) == 0


def test_the_worker_loads_no_model_before_there_is_a_folder(home, start, shapes):
    w, events = start(vocab=False)
    assert w.wait_idle(30)
    assert w.submit(lambda lib: lib.model_loaded).result(30) is False
    assert w.jobs_run["index"] >= 1  # it looked for photos to embed, and found none

    w.add_folder(shapes).result(30)
    wait_until(lambda: count(home, "SELECT COUNT(*) FROM embeddings") == 36, timeout=120)
    assert w.submit(lambda lib: lib.model_loaded).result(30) is True


def test_a_catalog_without_cached_vectors_gets_them_from_the_next_index(home, shapes):
    """A catalog from before tag vectors and the model's facts were kept: the catalog-only
    commands cannot score, and the next `clipdesk index` (even with nothing new) loads the
    model once to fill them in; after that, they work without it again."""
    import sqlite3

    run("--model", "test", "add", str(shapes))
    conn = sqlite3.connect(home / "data" / "catalog.sqlite3")
    with conn:
        conn.execute("DELETE FROM tag_vectors")
        conn.execute("DELETE FROM meta WHERE key LIKE 'model_facts:%'")
    conn.close()
    seen, out = probe("review", "--limit", "5")
    assert seen["loads"] == 0 and out == ""
    seen, _ = probe("index")
    assert seen["loads"] == 1 and "torch" not in seen["imported"]
    seen, out = probe("review", "--limit", "5")
    assert seen["loads"] == 0 and len(out.splitlines()) == 5
    seen, _ = probe("index")
    assert seen["loads"] == 0


def test_a_tagger_made_before_the_first_embedding_scores_the_photos_embedded_later(
    tmp_path, embedder, shapes_dir
):
    """The worker's Library keeps one Tagger: one made while nothing was embedded (the
    window's review opened early) must score what the indexer embeds afterwards."""
    from clipdesk.catalog import Catalog
    from clipdesk.pipeline.indexer import Indexer
    from clipdesk.tagging.review import review_queue
    from clipdesk.tagging.store import TagStore
    from clipdesk.tagging.tagger import Tagger

    cat = Catalog(tmp_path / "catalog.sqlite3")
    TagStore(cat).import_file(SHAPES_VOCAB)
    loads = []
    tagger = Tagger(cat, lambda: loads.append(1) or embedder, embedder.name)
    assert review_queue(tagger) == [] and not loads  # nothing embedded: nothing to load for
    folder_id = cat.add_folder(shapes_dir)
    Indexer(cat, embedder).run([folder_id])
    assert tagger.rescore().added > 0 and loads == [1]  # the tag vectors, once
    assert len(review_queue(tagger, limit=5)) == 5


def test_a_first_run_with_a_model_not_yet_downloaded_does_not_import_torch(tmp_path):
    """No folder yet and the recommended model not downloaded: the worker reaches idle
    without asking open_clip about the model's name (that import took 8 s of "Looking for
    photos" on a first run); the name is checked when a photo needs the model."""
    code = textwrap.dedent(
        """
        import sys
        from clipdesk.worker import Worker
        w = Worker(home=sys.argv[1], model="ViT-B-32-256:datacomp_s34b_b86k",
                   backend="onnx", watch=False)
        w.start()
        assert w.wait_idle(120)
        idle_runs = dict(w.jobs_run)
        w.stop()
        heavy = sorted({m.split(".")[0] for m in sys.modules} & {"torch", "open_clip"})
        print("IMPORTED", heavy, idle_runs.get("index", 0))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    proc = run_snippet(code, str(tmp_path / "home"), env=env)
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stdout.splitlines() if x.startswith("IMPORTED"))
    assert line.startswith("IMPORTED []") and not line.endswith(" 0"), line


def test_a_mistyped_pretrained_tag_is_still_one_clear_line_when_photos_need_it(home, shapes):
    proc = run("--model", "ViT-B-32:nope", "add", str(shapes), check=False)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "has no pretrained tag 'nope'" in lines[0], proc.stderr
