"""The tagging commands: vocab, tags, tag, undo, review, retrain."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from clipdesk.tagging.vocabulary import VocabularyError

EXIT_OK = 0


def add_parsers(sub, common) -> None:
    v = sub.add_parser("vocab", parents=[common], help="import or export the tag vocabulary")
    vsub = v.add_subparsers(dest="vocab_command", metavar="ACTION", required=True)
    vi = vsub.add_parser("import", parents=[common], help="merge a YAML or JSON vocabulary")
    vi.add_argument("file")
    ve = vsub.add_parser("export", parents=[common], help="write the vocabulary (stdout: -)")
    ve.add_argument("file", nargs="?", default="-")
    ve.add_argument("--format", choices=("yaml", "json"), help="default: from the file name")

    t = sub.add_parser("tags", parents=[common], help="a photo's tags with state and score")
    t.add_argument("photo")
    t.add_argument("--json", action="store_true", help="print JSON")

    g = sub.add_parser("tag", parents=[common], help="confirm, reject or add a tag on photos")
    g.add_argument("photos", nargs="+", metavar="PHOTO")
    act = g.add_mutually_exclusive_group(required=True)
    act.add_argument("--confirm", metavar="TAG")
    act.add_argument("--reject", metavar="TAG")
    act.add_argument("--add", metavar="TAG", help="add a tag (created if new)")

    sub.add_parser("undo", parents=[common], help="undo the last tag decision")

    r = sub.add_parser(
        "review", parents=[common], help="the suggestions the model is least sure of"
    )
    r.add_argument("--tag", help="only this tag")
    r.add_argument("--limit", type=int, default=20)
    r.add_argument("--json", action="store_true", help="print JSON")

    sub.add_parser("retrain", parents=[common], help="retrain from corrections and re-score")


def _photo_ids(library, photos: list[str]) -> list[int]:
    from clipdesk.errors import Fatal

    ids = []
    for p in photos:
        row = library.catalog.photo_by_path(Path(p).expanduser().resolve())
        if row is None:
            raise Fatal(f"{p} is not in the library (add its folder first)")
        ids.append(row.id)
    return ids


def _tag(library, name: str, create: bool = False):
    from clipdesk.errors import Fatal
    from clipdesk.tagging.store import TagStore, UnknownTag

    store = TagStore(library.catalog)
    store.seed_default()
    try:
        return store.get(name)
    except UnknownTag as exc:
        if not create:
            raise Fatal(str(exc)) from None
        with library.catalog.transaction():
            store.ensure(name)
        return store.get(name)


def cmd_vocab(library, args) -> int:
    from clipdesk.errors import Fatal
    from clipdesk.tagging.store import TagStore
    from clipdesk.tagging.vocabulary import dump

    store = TagStore(library.catalog)
    store.seed_default()
    if args.vocab_command == "import":
        try:
            added, updated = store.import_file(args.file)
        except VocabularyError as exc:
            raise Fatal(f"vocabulary not imported: {exc}") from None
        print(f"{added} tags added, {updated} updated")
        if library.catalog.conn.execute("SELECT 1 FROM embeddings LIMIT 1").fetchone():
            library.autotag(None)
        return EXIT_OK
    fmt = args.format or ("json" if args.file.endswith(".json") else "yaml")
    text = dump(store.export_specs(), fmt)
    if args.file == "-":
        sys.stdout.write(text)
    else:
        Path(args.file).write_text(text, encoding="utf-8")
        print(f"wrote {len(store.all())} tags to {args.file}")
    return EXIT_OK


def cmd_tags(library, args) -> int:
    from clipdesk.tagging.corrections import tags_of

    (photo_id,) = _photo_ids(library, [args.photo])
    tags = tags_of(library.catalog, photo_id)
    if args.json:
        print(json.dumps([t.to_json() for t in tags], indent=2))
        return EXIT_OK
    for t in tags:
        score = f"{t.score:.2f}" if t.score is not None else "    "
        print(f"{t.state:9s}  {t.source:8s}  {score}  {t.tag}")
    return EXIT_OK


def cmd_tag(library, args) -> int:
    from clipdesk.tagging.corrections import decide

    ids = _photo_ids(library, args.photos)
    name = args.confirm or args.reject or args.add
    tag = _tag(library, name, create=bool(args.add))
    state = "rejected" if args.reject else "confirmed"
    n = decide(library.catalog, ids, tag.id, state)
    _learn(library, [tag.id])
    print(f"{tag.path}: {state} on {n} photo(s)")
    return EXIT_OK


def _learn(library, tag_ids) -> None:
    """Retrain the touched tags' heads and re-score the library for them."""
    tagger = library.tagger
    tagger.retrain(tag_ids)
    tagger.rescore(None, tag_ids)


def cmd_undo(library, args) -> int:
    from clipdesk.tagging.corrections import undo

    row = library.catalog.conn.execute(
        "SELECT DISTINCT tag_id FROM corrections WHERE batch = (SELECT MAX(batch) FROM corrections)"
    ).fetchall()
    n = undo(library.catalog)
    if not n:
        print("nothing to undo")
        return EXIT_OK
    _learn(library, [r[0] for r in row])
    print(f"undid the last decision ({n} photo-tag(s))")
    return EXIT_OK


def cmd_review(library, args) -> int:
    tag_id = _tag(library, args.tag).id if args.tag else None
    items = library.tagger.review(tag_id, args.limit)
    if args.json:
        print(json.dumps([i.to_json() for i in items], indent=2))
        return EXIT_OK
    for i in items:
        mark = "suggested" if i.suggested else "not yet"
        print(f"{i.score:.2f}  {mark:9s}  {i.tag}  {i.path}")
    return EXIT_OK


def cmd_retrain(library, args) -> int:
    tagger = library.tagger
    reports = tagger.retrain()
    tagger.rescore()
    for r in tagger.report():
        if r["confirmed"] or r["rejected"]:
            p = "-" if r["precision"] is None else f"{r['precision']:.2f}"
            rc = "-" if r["recall"] is None else f"{r['recall']:.2f}"
            print(
                f"{r['tag']}: {r['confirmed']} confirmed, {r['rejected']} rejected; "
                f"held-out precision {p}, recall {rc}"
            )
    print(f"retrained {len(reports)} tag(s) and re-scored the library")
    return EXIT_OK


COMMANDS = {
    "vocab": cmd_vocab,
    "tags": cmd_tags,
    "tag": cmd_tag,
    "undo": cmd_undo,
    "review": cmd_review,
    "retrain": cmd_retrain,
}
