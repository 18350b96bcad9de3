"""``clipdesk faces`` and ``clipdesk people``: the faces on a photo, and the people they are
(issue 27). Everything goes through :mod:`clipdesk.ops.people`."""

from __future__ import annotations

import argparse
import json

from clipdesk.cli import args as args_
from clipdesk.ops.errors import OpError
from clipdesk.pathnames import shown
from clipdesk.wording import plural

EXIT_OK = 0


def _box(text: str) -> tuple[float, float, float, float]:
    parts = text.split(",")
    try:
        box = tuple(float(p) for p in parts)
    except ValueError:
        box = ()
    if len(box) != 4:
        raise argparse.ArgumentTypeError(f"a box is X,Y,W,H (numbers from 0 to 1), not {text!r}")
    return box  # type: ignore[return-value]


def add_parsers(sub, common) -> None:
    f = sub.add_parser(
        "faces",
        parents=[common],
        help="the faces on a photo; confirm, reject, name or draw one",
        description="List the faces found on a photo (numbered left to right), or decide one: "
        "--confirm N (it is the person suggested), --reject N (it is not the person or "
        "cluster it is with; never suggested there again), --name N NAME, or --add X,Y,W,H "
        "for a face the detector missed (0-1 of the photo as shown; --as NAME to name it).",
    )
    f.add_argument("photo", metavar="PHOTO")
    f.add_argument("--json", action="store_true", help="print JSON")
    act = f.add_mutually_exclusive_group()
    act.add_argument("--confirm", metavar="N", type=args_.positive_int, help="confirm face N")
    act.add_argument("--reject", metavar="N", type=args_.positive_int, help="reject face N")
    act.add_argument("--name", nargs=2, metavar=("N", "NAME"), help="say who face N is")
    act.add_argument("--add", metavar="X,Y,W,H", type=_box, help="draw a face by hand")
    f.add_argument("--as", dest="as_name", metavar="NAME", type=args_.text, help="with --add")

    p = sub.add_parser(
        "people",
        parents=[common],
        help="people and unnamed clusters of faces; name, merge, undo, forget",
        description="List the people (named) and the unnamed clusters of faces, or act on "
        "them: name ID NAME, merge ID OTHER, undo (the last action on faces), recluster, "
        "forget (every face and cluster; named People tags stay; faces turn off), on, off. "
        "Everything stays on this machine.",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--all", action="store_true", help="list clusters of one face too")
    psub = p.add_subparsers(dest="people_command", metavar="ACTION")
    n = psub.add_parser("name", parents=[common], help="name a person or cluster")
    n.add_argument("id", type=int, metavar="ID")
    n.add_argument("name", type=args_.text, metavar="NAME")
    m = psub.add_parser("merge", parents=[common], help="merge OTHER into ID")
    m.add_argument("id", type=int, metavar="ID")
    m.add_argument("other", type=int, metavar="OTHER")
    psub.add_parser("undo", parents=[common], help="take back the last action on faces")
    psub.add_parser("recluster", parents=[common], help="group the unnamed faces anew")
    psub.add_parser(
        "forget", parents=[common], help="remove every face and cluster, and turn faces off"
    )
    psub.add_parser("on", parents=[common], help="find faces (the setting; the default)")
    psub.add_parser("off", parents=[common], help="find no faces (what is found stays)")


def _photo_id(library, photo) -> int:
    from clipdesk.ops import tags as tag_ops

    (photo_id,) = tag_ops.photo_ids(library, [photo])
    return photo_id


def _face_id(listed: list[dict], n: int, photo) -> int:
    if not 1 <= n <= len(listed):
        raise OpError(f"{shown(str(photo))} has {plural(len(listed), 'face')}: no face {n}")
    return listed[n - 1]["id"]


def cmd_faces(library, args) -> int:
    from clipdesk.ops import people as ops

    photo_id = _photo_id(library, args.photo)
    listed = ops.faces_on(library, photo_id)
    if args.as_name is not None and args.add is None:
        raise OpError("--as NAME goes with --add X,Y,W,H")
    if args.confirm:
        done = ops.confirm_face(library, _face_id(listed, args.confirm, args.photo))
        print(f"face {args.confirm}: confirmed")
    elif args.reject:
        ops.reject_face(library, _face_id(listed, args.reject, args.photo))
        print(f"face {args.reject}: rejected (never suggested there again)")
    elif args.name:
        try:
            n = int(args.name[0])
        except ValueError:
            raise OpError(f"--name N NAME: N is a face's number, not {args.name[0]!r}") from None
        done = ops.confirm_face(library, _face_id(listed, n, args.photo), args.name[1])
        print(f"face {n}: {args.name[1]} (person {done['person']})")
    elif args.add is not None:
        done = ops.add_face(library, photo_id, args.add, args.as_name)
        print(f"added a face{f' ({args.as_name})' if args.as_name else ''}")
    else:
        if args.json:
            keys = ("box", "cluster", "person", "state", "score")
            print(json.dumps([{k: f[k] for k in keys} for f in listed], indent=2))
        elif not listed:
            print("no faces found")
        for f in [] if args.json else listed:
            who = f["person"] or (f"cluster {f['cluster']}" if f["cluster"] else "nobody")
            score = "    " if f["score"] is None else f"{f['score']:.2f}"
            box = ",".join(f"{v:.3f}" for v in f["box"])
            print(f"{f['n']:2d}  {f['state']:9s}  {score}  {who:24s}  box {box}")
    return EXIT_OK


def cmd_people(library, args) -> int:
    from clipdesk.ops import people as ops

    action = args.people_command
    if action == "name":
        done = ops.name(library, args.id, args.name)
        print(f"{args.name}: person {done['person']} ({plural(len(done['photos']), 'photo')})")
    elif action == "merge":
        ops.merge(library, args.id, args.other)
        print(f"merged {args.other} into {args.id}")
    elif action == "undo":
        what = ops.undo(library)
        print("nothing to undo" if what is None else f"undid: {what}")
    elif action == "recluster":
        print(f"placed {plural(ops.recluster(library), 'face')} anew")
    elif action == "forget":
        n = ops.forget(library)
        print(
            f"forgot {plural(n, 'face')} and every cluster (named People tags stay); faces are "
            "off now: `clipdesk people on` looks for them again"
        )
    elif action in ("on", "off"):
        ops.switch(library, action == "on")
        print(f"faces are {action}" + (" (found by the next index)" if action == "on" else ""))
    else:
        rows = ops.people(library, min_faces=1 if args.all else 2)
        if args.json:
            print(json.dumps(
                [{"id": r.id, "name": r.name, "faces": r.faces, "photos": r.photos}
                 for r in rows], indent=2))  # fmt: skip
            return EXIT_OK
        if not rows:
            print("no people yet: faces are grouped as photos are indexed")
        for r in rows:
            who = r.name or "(unnamed)"
            print(f"{r.id:5d}  {who:24s}  {plural(r.faces, 'face')}, {plural(r.photos, 'photo')}")
    return EXIT_OK


COMMANDS = {"faces": cmd_faces, "people": cmd_people}
