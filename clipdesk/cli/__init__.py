"""``clipdesk``: the desktop application, and the headless commands.

    clipdesk                         open the window
    clipdesk add PATH...             add folders and index them
    clipdesk index                   bring every known folder up to date
    clipdesk search "TEXT"           photos matching a description
    clipdesk similar PHOTO           photos like an example photo
    clipdesk status                  model, backend, counts, failed files, watched folders
    clipdesk vocab / tags / tag / undo / review / retrain    tagging (see --help)
    clipdesk export / import-keywords                        XMP sidecars
    clipdesk watch [PATH...]         watch the folders and index what changes, until Ctrl-C

Every command takes ``--home DIR`` (or ``$CLIPDESK_HOME``) and ``--model``. Each command
group lives in its own module here and calls :mod:`clipdesk.ops` for what it does; this
module builds the parser and is the one error boundary: an expected failure is one line
on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from clipdesk import __version__
from clipdesk.cli import indexing, search, sidecars, tagging, watch
from clipdesk.embedding.backends import BACKENDS
from clipdesk.errors import Fatal

EXIT_OK, EXIT_FATAL, EXIT_USAGE = 0, 1, 2
GROUPS = (indexing, search, tagging, sidecars, watch)
COMMANDS = {name: fn for group in GROUPS for name, fn in group.COMMANDS.items()}
# Commands that work from the catalog alone: they never load a model (a tag vector the
# catalog lacks waits in the learning queue for `index`, `retrain` or the worker).
MODEL_FREE = {"status", "tags", "tag", "undo", "vocab", "review", "export", "import-keywords"}


def _common(suppress: bool) -> argparse.ArgumentParser:
    """Options every command takes, before or after its name.

    After the command they default to SUPPRESS, so that ``clipdesk --home X status``
    keeps X instead of the subcommand's default overwriting it.
    """
    d = {"default": argparse.SUPPRESS} if suppress else {}
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--home", metavar="DIR", help="keep catalog, caches and settings in DIR", **d
    )
    common.add_argument(
        "--model",
        help="'test', an open_clip NAME:PRETRAINED (e.g. ViT-B-32-256:datacomp_s34b_b86k), "
        "NAME:/path/to/weights, or a model folder",
        **d,
    )
    common.add_argument("--backend", choices=BACKENDS, help="force a backend (default: auto)", **d)
    common.add_argument(
        "--int8", action="store_true", help="int8 ONNX on the CPU", **(d or {"default": None})
    )
    common.add_argument(
        "-v", "--verbose", action="store_true", help="log what happens", **(d or {"default": False})
    )
    return common


def _parser() -> argparse.ArgumentParser:
    top = _common(suppress=False)
    common = _common(suppress=True)
    p = argparse.ArgumentParser(
        prog="clipdesk",
        description="Tag, search and organise photos with CLIP, on your own machine.",
        parents=[top],
    )
    p.add_argument("--version", action="version", version=f"clipdesk {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for group in GROUPS:
        group.add_parsers(sub, common)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s"
    )
    if not args.command:  # no command: the desktop application
        from clipdesk.gui.app import run

        return run(args)
    from clipdesk.library import FolderNotFound, Library, ModelUnavailable

    try:
        library = Library(args.home, args.model, args.backend, args.int8)
        library.allow_model = args.command not in MODEL_FREE
        try:
            return COMMANDS[args.command](library, args)
        finally:
            library.close()
    except (Fatal, ModelUnavailable, FolderNotFound) as exc:
        print(f"clipdesk: error: {exc}", file=sys.stderr)
        return EXIT_FATAL
    except KeyboardInterrupt:
        print("clipdesk: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `clipdesk tags x.jpg | head`: the reader left, that is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
