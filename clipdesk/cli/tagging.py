"""The tagging commands: vocab, tags, tag, undo, review, retrain."""

from __future__ import annotations

import json
import sys

from clipdesk.cli import args as args_
from clipdesk.pathnames import shown
from clipdesk.wording import plural

EXIT_OK = 0
# Under `clipdesk review`'s list: how to act on it.
REVIEW_HINT = (
    "decide each with `clipdesk tag PHOTO --confirm TAG` (it is right) or `--reject TAG` "
    "(it is wrong); the model learns from both"
)


def add_parsers(sub, common) -> None:
    v = sub.add_parser("vocab", parents=[common], help="import or export the tag vocabulary")
    vsub = v.add_subparsers(dest="vocab_command", metavar="ACTION", required=True)
    vi = vsub.add_parser("import", parents=[common], help="merge a YAML or JSON vocabulary")
    vi.add_argument("file", metavar="FILE", help="a .yaml, .yml or .json vocabulary")
    vi.add_argument(
        "--replace",
        action="store_true",
        help="make the vocabulary the file's: remove tags it does not name (tags with your "
        "decisions are kept and listed)",
    )
    vi.add_argument("--dry-run", action="store_true", help="with --replace: say, change nothing")
    vc = vsub.add_parser(
        "check", parents=[common], help="each tag's suggestion rate; the tags the model cannot see"
    )
    vc.add_argument("--json", action="store_true", help="print JSON")
    ve = vsub.add_parser("export", parents=[common], help="write the vocabulary (stdout: -)")
    ve.add_argument(
        "file", nargs="?", default="-", metavar="FILE", help="where to write it (default -: stdout)"
    )
    ve.add_argument("--format", choices=("yaml", "json"), help="default: from the file name")

    t = sub.add_parser("tags", parents=[common], help="a photo's tags with state and score")
    t.add_argument("photo", metavar="PHOTO", help="a photo of the library")
    t.add_argument("--json", action="store_true", help="print JSON")

    g = sub.add_parser(
        "tag",
        parents=[common],
        help="confirm, reject or add a tag on photos",
        description="Decide a tag on photos: --confirm TAG (it is right), --reject TAG (it is "
        "wrong: never suggested there again) or --add TAG (a tag of your own, created if new). "
        "The model learns from each decision; `clipdesk undo` takes the last one back.",
    )
    g.add_argument("photos", nargs="+", metavar="PHOTO", help="photos of the library")
    act = g.add_mutually_exclusive_group(required=True)
    act.add_argument(
        "--confirm", metavar="TAG", type=args_.text, help="the tag is right on these photos"
    )
    act.add_argument(
        "--reject",
        metavar="TAG",
        type=args_.text,
        help="the tag is wrong on these photos (never suggested on them again)",
    )
    act.add_argument("--add", metavar="TAG", type=args_.text, help="add a tag (created if new)")

    sub.add_parser(
        "undo",
        parents=[common],
        help="undo the last tag decision",
        description="Take back the last decision: a tag confirmed, rejected or added (on all "
        "the photos it was made on at once), an action on faces or a change of marks, "
        "whichever came last. Run it again to take back the one before.",
    )

    r = sub.add_parser(
        "review",
        parents=[common],
        help="the suggestions the model is least sure of",
        description="List the undecided suggestions the model is least sure of, one a line: "
        "score, whether it is suggested now, tag, photo. Deciding these teaches the model "
        "most: `clipdesk tag PHOTO --confirm TAG` or `--reject TAG`.",
    )
    r.add_argument("--tag", type=args_.text, help="only this tag")
    r.add_argument("--limit", type=args_.positive_int, default=20, help="at least 1")
    r.add_argument("--json", action="store_true", help="print JSON")

    sub.add_parser(
        "retrain",
        parents=[common],
        help="retrain from corrections and re-score",
        description="Retrain every tag that has decisions from all of them, then re-score the "
        "whole library, and report each tag's held-out precision and recall. Decisions are "
        "learned as they are made; this is for starting over, e.g. after many changes.",
    )


def _learn_unless_watched(library) -> None:
    from clipdesk.ops import learning
    from clipdesk.worker.state import worker_alive

    learning.after_decision(library, worker_alive(library.paths.data_dir))


def cmd_vocab(library, args) -> int:
    from clipdesk.ops import vocabulary as vocab_ops

    if args.vocab_command == "import" and args.replace:
        r = vocab_ops.replace_vocabulary(library, args.file, args.dry_run)
        verb = ("would remove", "would add") if args.dry_run else ("removed", "added")
        removed = plural(len(r.removed), "tag")
        print(f"{verb[0]} {removed} not in the file: " + ", ".join(r.removed[:20]))
        if r.kept:
            kept = plural(len(r.kept), "tag")
            print(f"kept {kept} with your decisions: " + ", ".join(r.kept[:20]))
        print(f"{verb[1]} {plural(r.added, 'tag')}, updated {r.updated:,}")
        if not args.dry_run:
            _suggestions_wait(library)
        return EXIT_OK
    if args.vocab_command == "check":
        return _vocab_check(library, args)
    if args.vocab_command == "import":
        added, updated = vocab_ops.import_vocabulary(library, args.file)
        print(f"{plural(added, 'tag')} added, {updated:,} updated")
        _suggestions_wait(library)
        return EXIT_OK
    fmt = args.format or ("json" if args.file.endswith(".json") else "yaml")
    if args.file == "-":
        sys.stdout.write(vocab_ops.vocabulary_text(library, fmt)[0])
    else:
        n = vocab_ops.export_vocabulary(library, args.file, fmt)
        print(f"wrote {plural(n, 'tag')} to {args.file}")
    return EXIT_OK


def _suggestions_wait(library) -> None:
    """After an import: where tags wait for the model (new prompts; `vocab` never loads
    it), say when their suggestions come."""
    from clipdesk.ops import learning

    if learning.pending(library):
        print("their suggestions come with the next `clipdesk index` (or `clipdesk watch`)")


def _vocab_check(library, args) -> int:
    from clipdesk.ops import vocabulary as vocab_ops

    checks = [c for c in vocab_ops.check_vocabulary(library) if c.enabled]
    if args.json:
        print(json.dumps([c.to_json() for c in checks], indent=2))
        return EXIT_OK
    if not checks:
        print("no enabled tags: `clipdesk vocab import FILE` adds some")
        return EXIT_OK
    photos = checks[0].photos
    if not photos:
        print(f"{plural(len(checks), 'tag')}; no photo is embedded yet: `clipdesk index` first")
        return EXIT_OK
    seen = [c for c in checks if c.seen]
    library_size = plural(photos, "photo")
    print(
        f"{len(seen)} of {plural(len(checks), 'tag')} can be suggested in this library "
        f"({library_size}):"
    )
    width = max(len(c.path) for c in seen) if seen else 0
    for c in sorted(seen, key=lambda c: -c.suggested):
        how = "  (learned from your corrections)" if c.taught else ""
        print(
            f"  {c.path:{width}s}  suggested on {plural(c.suggested, 'photo')} ({c.rate:.0%}){how}"
        )
    unseen = [c for c in checks if not c.seen]
    if unseen:
        print(f"{plural(len(unseen), 'tag')} {'is' if len(unseen) == 1 else 'are'} not suggested:")
        for c in unseen:
            print(f"  {c.path}: {c.reason()}")
    return EXIT_OK


def cmd_tags(library, args) -> int:
    from clipdesk.ops import tags as tag_ops
    from clipdesk.tagging import tagpath
    from clipdesk.tagging.states import TagSource

    tags = tag_ops.tags_of(library, args.photo)
    if args.json:  # JSON escapes control characters itself
        print(json.dumps([t.to_json() for t in tags], indent=2))
        return EXIT_OK
    for t in tags:
        score = f"{t.score:.2f}" if t.score is not None else "    "
        # a name read before keywords were checked may hold a line break: one line per tag
        source = "from GPS" if t.source == TagSource.GPS else t.source
        print(f"{t.state:9s}  {source:8s}  {score}  {tagpath.shown(t.tag)}")
    return EXIT_OK


def cmd_tag(library, args) -> int:
    from clipdesk.ops import tags as tag_ops

    ids = tag_ops.photo_ids(library, args.photos)
    if args.add:
        done = tag_ops.add(library, ids, args.add)
    else:
        tag = tag_ops.find_tag(library, args.confirm or args.reject)
        state = tag_ops.REJECTED if args.reject else tag_ops.CONFIRMED
        done = tag_ops.decide(library, ids, tag.id, state)
    _learn_unless_watched(library)
    print(decided_words(done))
    return EXIT_OK


def decided_words(done) -> str:
    """A tag decision in one line: on how many photos it changed, and on how many it was
    already so (then nothing changed there)."""
    if not done.changed:
        return f"{done.path}: already {done.state} on {plural(done.already, 'photo')}; no change"
    already = f" (already on {plural(done.already, 'other')})" if done.already else ""
    return f"{done.path}: {done.state} on {plural(done.changed, 'photo')}{already}"


def cmd_undo(library, args) -> int:
    from clipdesk.ops import tags as tag_ops

    report = tag_ops.undo(library)
    if report.photos:
        _learn_unless_watched(library)
    print(report.describe())
    return EXIT_OK


def cmd_review(library, args) -> int:
    from clipdesk.ops import learning
    from clipdesk.ops import tags as tag_ops

    tag_id = tag_ops.find_tag(library, args.tag).id if args.tag else None
    items = learning.review_queue(library, tag_id, args.limit)
    if args.json:
        print(json.dumps([{**i.to_json(), "path": shown(i.path)} for i in items], indent=2))
        return EXIT_OK
    for i in items:
        mark = "suggested" if i.suggested else "not yet"
        print(f"{i.score:.2f}  {mark:9s}  {i.tag}  {shown(i.path)}")
    # what to do with the list, on stderr (as search's notes): the list stays for pipes
    print(REVIEW_HINT if items else "nothing to review", file=sys.stderr)
    return EXIT_OK


def cmd_retrain(library, args) -> int:
    from clipdesk.ops import learning

    retrained, report = learning.retrain_all(library)
    for r in report:
        if r.get("why_no_metrics"):
            metrics = f"no held-out metrics yet ({r['why_no_metrics']})"
        else:
            p = "-" if r["precision"] is None else f"{r['precision']:.2f}"
            metrics = f"held-out precision {p}, recall {r['recall']:.2f}"
        print(f"{r['tag']}: {r['confirmed']} confirmed, {r['rejected']} rejected; {metrics}")
    print(f"retrained {plural(retrained, 'tag')} and re-scored the library")
    return EXIT_OK


COMMANDS = {
    "vocab": cmd_vocab,
    "tags": cmd_tags,
    "tag": cmd_tag,
    "undo": cmd_undo,
    "review": cmd_review,
    "retrain": cmd_retrain,
}
