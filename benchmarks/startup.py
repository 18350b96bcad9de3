"""Command start-up: a cold `clipdesk search`, a no-op `clipdesk index` and `clipdesk status`
against a bare Python that imports numpy, onnxruntime and Pillow, side by side in one run.

Each contestant is a fresh process (`python -m clipdesk ...`, as the `clipdesk` script
runs), on a small library (36 synthetic photos, the test model, its ONNX export cached),
timed from launch to exit; the rounds alternate the contestants and each one keeps its
best of ``--runs``. Budget (issue 10): search and a no-op index within 2x of the bare
import. Each command is also run once with a probe that says whether torch, open_clip or
onnxruntime was imported.

Run: python benchmarks/startup.py [--runs 5] [--code CHECKOUT ...]   (--code: time another
checkout's clipdesk, e.g. the main branch, with the same harness; given twice or more, the
checkouts run side by side in the same alternating rounds, each on its own library, and
their ratios are printed next to each other)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import DATA, REPO, row

ONNX_CACHE = DATA / "onnx-test"  # the test model's ONNX export, shared between runs
BARE = [sys.executable, "-c", "import numpy, onnxruntime, PIL.Image"]
CLI = [sys.executable, "-m", "clipdesk"]
CONTESTANTS = {
    "bare python: import numpy, onnxruntime, PIL.Image": BARE,
    'clipdesk search "red circle"': [*CLI, "search", "red circle"],
    "clipdesk index (nothing new)": [*CLI, "index"],
    "clipdesk status": [*CLI, "status"],
}
PROBE = (
    "import sys; sys.argv = ['clipdesk', *sys.argv[1:]]\n"
    "from clipdesk.cli import main\n"  # not `entry`: it ends the process after a search
    "main()\n"
    "heavy = ('torch', 'torchvision', 'open_clip', 'onnxruntime')\n"
    "print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)), file=sys.stderr)"
)


def library(root: Path, code: Path = REPO) -> dict[str, str]:
    """A home with 36 indexed photos (test model, ONNX export cached); its environment."""
    from clipdesk.testing.synthetic import write_folder

    home = root / "home"
    (home / "cache").mkdir(parents=True)
    ONNX_CACHE.mkdir(parents=True, exist_ok=True)
    (home / "cache" / "onnx").symlink_to(ONNX_CACHE)
    write_folder(root / "photos", 36, seed=7)
    env = {**os.environ, "CLIPDESK_HOME": str(home), "PYTHONPATH": str(code)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: modules load from .pyc files
    subprocess.run(
        [*CLI, "--model", "test", "add", str(root / "photos")],
        check=True,
        env=env,
        cwd=code,
        stdout=subprocess.DEVNULL,
    )
    return env


def timed(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run(
        cmd,
        check=True,
        env=env,
        cwd=env["PYTHONPATH"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,  # the search's "weaker matches hidden" line
    )
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="fresh processes per contestant")
    ap.add_argument(
        "--code",
        type=Path,
        action="append",
        help="the checkout whose clipdesk runs (default: this one); repeat it to run "
        "several side by side",
    )
    args = ap.parse_args()
    codes = [c.resolve() for c in args.code or [REPO]]
    print(
        f"== command start-up  ({os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.2f}, {time.strftime('%Y-%m-%d %H:%M')}, "
        f"best of {args.runs} fresh processes, code in {', '.join(map(str, codes))})",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="clipdesk-startup-bench-") as tmp:
        envs = [library(Path(tmp) / f"code-{i}", code) for i, code in enumerate(codes)]
        for env in envs:
            for cmd in CONTESTANTS.values():  # warm the page cache and .pyc files
                timed(cmd, env)
        best = [dict.fromkeys(CONTESTANTS, float("inf")) for _ in codes]
        for _ in range(args.runs):  # each round: every checkout, every contestant
            for env, b in zip(envs, best, strict=True):
                for name, cmd in CONTESTANTS.items():
                    b[name] = min(b[name], timed(cmd, env))
        imported: list[dict[str, str]] = []
        for env in envs:
            imported.append({})
            for name, cmd in list(CONTESTANTS.items())[1:]:
                proc = subprocess.run(
                    [sys.executable, "-c", PROBE, *cmd[3:]],
                    env=env,
                    cwd=env["PYTHONPATH"],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                imported[-1][name] = proc.stderr.strip().splitlines()[-1]
    print(
        f"-- wall time, process launch to exit (36-photo library, test model, ONNX cached); "
        f"load average now {os.getloadavg()[0]:.2f}"
    )
    # The bare import is the same process whichever checkout's round it ran in: every
    # ratio is to its best over all rounds, so that the checkouts share one yardstick.
    bare = min(b[next(iter(CONTESTANTS))] for b in best)
    for code, b, imp in zip(codes, best, imported, strict=True):
        if len(codes) > 1:
            print(f"   code in {code}")
        for name, seconds in b.items():
            note = "" if name not in imp else f"{seconds / bare:.2f}x bare"
            if name in imp:
                note += f"; imports {imp[name]} of torch/open_clip/onnxruntime"
            budget = " (budget 2x)" if "search" in name or "index" in name else ""
            row(name, seconds * 1000, "ms", note + budget)
    if len(codes) > 1:
        print(
            f"-- ratios to the best bare import ({bare * 1000:.0f} ms), side by side: "
            + " | ".join(map(str, codes))
        )
        for name in list(CONTESTANTS)[1:]:
            ratios = [b[name] / bare for b in best]
            print(f"   {name:<48} " + "  ".join(f"{r:>6.2f}x" for r in ratios))
    for code, b in zip(codes, best, strict=True):
        print(json.dumps({"code": str(code), **{k: round(v * 1000, 1) for k, v in b.items()}}))


if __name__ == "__main__":
    main()
