"""Vocabulary import at scale: parse and import times of flat and nested vocabularies
(YAML and JSON), per tag at several sizes (linear time shows as a flat per-tag cost), and
the parser before the safe reader (git revision ``--old``, default 47c2a9a) side by side.

    .venv/bin/python benchmarks/vocab_import.py [--sizes 10000 30000 100000] [--old REV]
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from clipdesk.catalog import Catalog  # noqa: E402
from clipdesk.tagging.store import TagStore  # noqa: E402
from clipdesk.tagging.vocabulary import dump, parse  # noqa: E402


def flat(n: int) -> str:
    return "tags:\n" + "".join(
        f"  - name: tag {i}\n    prompts: [a photo of {i}]\n" for i in range(n)
    )


def nested(n: int, groups: int = 100) -> str:
    per = n // groups
    out = ["tags:\n"]
    for g in range(groups):
        out.append(f"  - name: group {g}\n    children:\n")
        out += [f"      - name: tag {g}.{i}\n        threshold: 0.00001\n" for i in range(per)]
    return "".join(out)


def old_parser(rev: str):
    """The vocabulary module as it was at ``rev``, loaded from git into its own module."""
    src = subprocess.run(
        ["git", "show", f"{rev}:clipdesk/tagging/vocabulary.py"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "old_vocabulary.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location("old_vocabulary", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["old_vocabulary"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module.parse


def timed(fn):
    t = time.perf_counter()
    result = fn()
    return time.perf_counter() - t, result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    ap.add_argument("--old", default="47c2a9a", help="revision of the old parser ('' : skip)")
    ap.add_argument("--old-size", type=int, default=10_000)
    args = ap.parse_args()
    print(
        f"{'vocabulary':22s} {'tags':>7s} {'parse s':>8s} {'us/tag':>7s} {'import s':>9s} "
        f"{'again s':>8s} {'export s':>8s}"
    )
    for n in args.sizes:
        for name, text in (("flat yaml", flat(n)), ("100 groups yaml", nested(n))):
            for fmt in ("yaml", "json"):
                if fmt == "json":
                    text = dump(parse(text), "json")
                    name = name.replace("yaml", "json")
                t_parse, specs = timed(lambda text=text, fmt=fmt: parse(text, f"v.{fmt}"))
                with tempfile.TemporaryDirectory() as tmp:
                    store = TagStore(Catalog(Path(tmp) / "c.sqlite3"))
                    t_import, _ = timed(lambda store=store, specs=specs: store.import_specs(specs))
                    t_again, r = timed(lambda store=store, specs=specs: store.import_specs(specs))
                    assert r == (0, len(specs))
                    t_export, _ = timed(
                        lambda store=store, fmt=fmt: dump(store.export_specs(), fmt)
                    )
                    store.catalog.close()
                print(
                    f"{name:22s} {len(specs):7d} {t_parse:8.2f} {t_parse / len(specs) * 1e6:7.1f} "
                    f"{t_import:9.2f} {t_again:8.2f} {t_export:8.2f}"
                )
    if args.old:
        n = args.old_size
        old = old_parser(args.old)
        text = flat(n)
        t_new, _ = timed(lambda: parse(text))
        t_old, _ = timed(lambda: old(text))
        print(
            f"\nflat yaml, {n} tags, parse only: before {t_old:.2f} s, now {t_new:.2f} s "
            f"({t_old / t_new:.1f}x)"
        )


if __name__ == "__main__":
    main()
