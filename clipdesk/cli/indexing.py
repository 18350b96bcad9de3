"""The library commands: add, index, status, repair, forget."""

from __future__ import annotations

import json
import signal
import sys
import threading

from clipdesk.errors import Fatal
from clipdesk.pathnames import shown
from clipdesk.text.reader import INSTALL
from clipdesk.wording import plural

EXIT_OK = 0


def add_parsers(sub, common) -> None:
    a = sub.add_parser(
        "add",
        parents=[common],
        help="add photo folders and index them",
        description="Add photo folders to the library (their subfolders too) and index them: "
        "thumbnails, the model's embedding of each photo, its keywords and tag suggestions. "
        "The first run loads the model (and may download it); later runs index only what "
        "changed. Photo files are never changed.",
    )
    a.add_argument("paths", nargs="+", metavar="FOLDER", help="folders of photos")
    ix = sub.add_parser("index", parents=[common], help="bring every known folder up to date")
    ix.add_argument(
        "--retry-failed",
        action="store_true",
        help="try the photos that failed before again (they are also retried when they change)",
    )
    for p in (a, ix):
        p.add_argument(
            "--model-vocabulary",
            action="store_true",
            help="switch to the model's own vocabulary (the test model's: colours and shapes) "
            "and re-score; tags with your decisions stay, the old vocabulary is saved",
        )
    sub.add_parser(
        "repair",
        parents=[common],
        help="back up a damaged catalog and recover what can be read from it",
        description="Check the catalog; if it is damaged, back it up beside itself, rebuild it "
        "from every row that can still be read and say what was kept (the next `clipdesk "
        "index` finds the photos again and re-embeds what was lost). A healthy catalog is left "
        "as it is. Close the window and `clipdesk watch` first.",
    )
    st = sub.add_parser("status", parents=[common], help="model, backend, counts, failed files")
    st.add_argument("--json", action="store_true", help="print JSON")
    fg = sub.add_parser(
        "forget",
        parents=[common],
        help="forget photos whose files are gone, with their tags (files are never touched)",
        description="Forget the records of photos whose files are gone, with their tags and "
        "decisions. Photos of a folder that is not found (an unplugged drive) are kept unless "
        "that folder is named; a photo that is there is never forgotten.",
    )
    fg.add_argument(
        "--missing",
        action="store_true",
        required=True,
        help="forget photos whose files are missing (the one kind there is to forget)",
    )
    fg.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="only under these folders or photos of the library (default: everywhere)",
    )
    fg.add_argument("--dry-run", action="store_true", help="list what would go, change nothing")


def remember_choice(library, args) -> None:
    """A model or backend given to a command that indexes becomes the default."""
    if args.model or args.backend or args.int8 is not None:
        library.remember_engine()


def _tell(text: str) -> None:
    print(f"clipdesk: {text}", file=sys.stderr, flush=True)


def fit_vocabulary(library, args) -> None:
    """With ``--model-vocabulary``, switch to the model's own vocabulary (before indexing,
    so new photos are scored once); else, where a model named here does not suit the
    vocabulary (the test model on everyday tags), say so in one line naming the flag."""
    from clipdesk.ops import model_vocabulary

    if args.model_vocabulary:
        print(model_vocabulary.use_model_vocabulary(library).summary())
        return
    if not args.model:
        return
    fit = model_vocabulary.vocabulary_fit(library)
    if not fit.suits:
        _tell(f"{fit.message} Add --model-vocabulary to use its own (tags you decided on stay).")


def _index(library, args, folder_ids=None) -> int:
    from clipdesk.cli.progress import ProgressPrinter
    from clipdesk.pipeline import steps

    remember_choice(library, args)
    fit_vocabulary(library, args)
    cancel = threading.Event()
    old = signal.signal(signal.SIGINT, lambda *_: cancel.set())  # finish the batch, then stop
    if library.download is not None:  # and a download stops at once, its partial file kept
        library.download.cancel = cancel
    label = f"{library.engine.model_name}, {library.engine.describe()}"
    try:
        # One index run per library at a time: a second one waits (the user asked for the
        # library to be indexed, and when this command returns it is), instead of
        # embedding the same photos a second time alongside the first. The model loads
        # only if a photo needs embedding or a tag vector is missing.
        with ProgressPrinter(sys.stderr, label, library.engine.model_name) as printer:
            library.on_model_load = printer.loading
            result, after = steps.index(library, folder_ids, printer, cancel, _tell)
    finally:
        signal.signal(signal.SIGINT, old)
        library.on_model_load = None
    if not result.started:
        print("stopped before indexing: another index run is still in progress")
        return 130
    s = result.scan
    print(
        f"{plural(s.seen, 'photo')} seen ({s.added} new, {s.changed} changed, {s.moved} moved, "
        f"{s.missing} missing), {result.embedded} embedded, "
        f"{len(result.failed) + len(s.errors)} skipped"
    )
    if after.faces:
        print(f"  {plural(after.faces, 'face')} found (`clipdesk people` groups them)")
    if after.placed:
        print(
            f"  {plural(after.placed, 'photo')} placed from GPS (tagged Places|Country|Region|City)"
        )
    if after.text:
        print(f"  words read in {plural(after.text, 'photo')} (search them with text:WORDS)")
    for folder in s.missing_folders:
        print(f"  folder not found (unmounted?), its photos are kept as missing: {shown(folder)}")
    for path, reason in [*s.errors, *result.failed]:
        print(f"  skipped {shown(path)}: {shown(reason)}")
    if result.thumbnail_error:
        print(
            f"  thumbnails could not be saved ({shown(result.thumbnail_error)}); the photos "
            "are indexed, and their thumbnails are made by the next `clipdesk index` once "
            "the cache is writable"
        )
    if result.cancelled:
        print("stopped early; run `clipdesk index` to continue where it stopped")
        return 130
    return EXIT_OK


def cmd_add(library, args) -> int:
    from clipdesk.ops import folders as folder_ops  # the scanner and imaging: only to add

    return _index(library, args, folder_ops.add_folders(library, args.paths))


def cmd_index(library, args) -> int:
    if not library.catalog.folders():
        raise Fatal("no folders yet: add one with `clipdesk add FOLDER`")
    if args.retry_failed:
        from clipdesk.ops import folders as folder_ops

        print(f"retrying {plural(folder_ops.retry_failed(library), 'failed photo')}")
    return _index(library, args)


def cmd_status(library, args) -> int:
    from clipdesk.ops.status import library_status
    from clipdesk.worker.state import read_state

    status = library_status(library, read_state(library.paths.data_dir))
    if args.json:
        print(json.dumps(status.to_json(), indent=2))
        return EXIT_OK
    print(f"model:    {status.model}")
    print(f"backend:  {status.backend}")
    for label, text in status.home.lines():  # where the catalog, caches and settings live
        print(f"{label + ':':<10}{text}")
    print(f"catalog:  {status.catalog}")
    running = f"running (pid {status.watcher_pid})" if status.watcher_running else None
    print("watcher:  " + (running or "not running (start it with `clipdesk watch`)"))
    for f in status.folders:
        state = "" if f.present else "  (not found: unmounted?)"
        if f.watched_by:
            why = f" ({f.watch_reason})" if f.watch_reason else ""
            state += f"  watched by {f.watched_by}{why}"
        print(f"folder:   {shown(f.path)}  {f.photos} photos{state}")
    print("photos:   " + ", ".join(f"{v} {k}" for k, v in status.counts.items()))
    f = status.faces
    if f is None:
        print("faces:    off (`clipdesk people on` turns them on)")
    else:
        todo = (
            f", {f['photos_to_look_at']} photos still to look at" if f["photos_to_look_at"] else ""
        )
        named = plural(f["people"], "person", "people")
        print(f"faces:    {plural(f['faces'], 'face')}, {named} named{todo}")
    g = status.places
    if g is None:
        print("places:   off (the `places` setting)")
    else:
        todo = f", {g['to_read']} still to look at" if g["to_read"] else ""
        print(
            f"places:   {plural(g['placed'], 'photo')} placed from GPS "
            f"({g['with_position']} with a position){todo}"
        )
    w = status.words
    if w is None:
        print("words:    off (`clipdesk text --on` reads the words in photos)")
    elif not status.words_engine:
        print(f"words:    not read: the OCR engine is not installed ({INSTALL})")
    else:
        todo = f", {w['to_read']} still to look at" if w["to_read"] else ""
        print(
            f"words:    {plural(w['read'], 'photo')} read ({w['with_words']} with words), "
            f"{w['skipped']} not text-like{todo}"
        )
    for path, reason in status.failed:
        print(f"failed:   {shown(path)}: {reason}")
    for path, reason in status.keyword_problems:  # indexed, but its keywords were unreadable
        print(f"keywords: {shown(path)}: {shown(reason)}")
    if status.conflicts_line():
        print(f"sidecars: {status.conflicts_line()}")
    return EXIT_OK


def cmd_repair(library, args) -> int:
    from clipdesk.ops.repair import repair_catalog
    from clipdesk.worker.state import worker_alive

    if worker_alive(library.paths.data_dir):
        raise Fatal("ClipDesk is running (the window or `clipdesk watch`): close it first")
    report = repair_catalog(library)
    kept = ", ".join(f"{n} {t}" for t, n in report.counts.items())
    if report.healthy:
        print(
            f"the catalog {library.paths.catalog} is healthy (its integrity check passed; "
            f"{kept or 'it is empty'}): nothing to repair, nothing was changed"
        )
        return EXIT_OK
    print(f"backed up the damaged catalog to {report.backup}")
    print(f"recovered ({report.method}): {kept or 'nothing'}")
    print("run `clipdesk index` to find the photos again and re-embed what was lost")
    return EXIT_OK


def cmd_forget(library, args) -> int:
    from clipdesk.ops import forgetting, learning
    from clipdesk.worker.state import worker_alive

    done = forgetting.forget_missing(library, args.paths or None, dry_run=args.dry_run)
    for path in done.paths:
        print(f"  {shown(path)}")
    for line in done.lines():
        print(line)
    if done.tags.decisions and not done.dry_run:  # the tags decided on them learn again
        learning.after_decision(library, worker_alive(library.paths.data_dir))
    return EXIT_OK


COMMANDS = {
    "add": cmd_add,
    "index": cmd_index,
    "status": cmd_status,
    "repair": cmd_repair,
    "forget": cmd_forget,
}
