"""Keyword-heavy sidecars and large vocabularies, through the real ``clipdesk`` command with
the test model: what a user waits for, and how long another command waits meanwhile.

    .venv/bin/python benchmarks/keyword_import.py [--keywords 20000] [--photos 20]
        [--per-photo 1000] [--vocab 16000 60000] [--timeout 180] [--code DIR]

- ``sidecar``: ``clipdesk add`` of a folder with one photo whose sidecar holds
  ``--keywords`` flat keywords; one second in, ``clipdesk tag --add`` on the same
  library (how long it waits is the other writer's block).
- ``photos``: ``clipdesk import-keywords`` of ``--photos`` photos with ``--per-photo``
  new keywords each, and the same concurrent ``clipdesk tag``.
- ``vocab N``: ``clipdesk index`` right after ``vocab import`` of N new tags (their
  prompts are encoded): wall time and the process's peak memory.

Each command runs in its own process; peak memory is that process's maximum RSS.
``--code DIR`` runs the commands of another checkout (e.g. an earlier working tree copied
with ``tar``), for before/after figures from the same script.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent
DATA = ROOT / "_data"


def xmp(flat: list[str]) -> str:
    items = "".join(f"<rdf:li>{escape(k)}</rdf:li>" for k in flat)
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        'rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:subject><rdf:Bag>{items}</rdf:Bag></dc:subject>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )


def photo(path: Path, shade: int) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 48), (shade % 256, 80, 160)).save(path, quality=90)
    return path


class Home:
    """A fresh ClipDesk home; the test model's ONNX export is kept between runs."""

    def __init__(self, code: Path | None):
        self.dir = Path(tempfile.mkdtemp(prefix="clipdesk-kw-"))
        (self.dir / "home" / "cache").mkdir(parents=True)
        onnx = DATA / "onnx-test-model"
        onnx.mkdir(parents=True, exist_ok=True)
        os.symlink(onnx, self.dir / "home" / "cache" / "onnx")
        self.env = {**os.environ, "CLIPDESK_HOME": str(self.dir / "home")}
        # `python -m` looks in its working folder first: run there, with PYTHONPATH for good.
        self.code = code or ROOT.parent
        self.env["PYTHONPATH"] = str(self.code)
        self.folder = self.dir / "photos"

    def start(self, *args: str) -> tuple[subprocess.Popen, float]:
        cmd = [sys.executable, "-m", "clipdesk", *args]
        log = tempfile.TemporaryFile("w+")  # not a pipe: a full pipe would stall the command
        p = subprocess.Popen(
            cmd, cwd=self.code, env=self.env, stdout=log, stderr=subprocess.STDOUT, text=True
        )
        p.log = log  # type: ignore[attr-defined]
        return p, time.perf_counter()

    def finish(self, proc: subprocess.Popen, started: float, timeout: float) -> dict:
        """Wait for a command: its seconds (None: still running at ``timeout``, killed),
        its peak RSS in MB, the last lines it printed."""
        killed = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > started + timeout:
                proc.kill()
                killed = True
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        proc.log.seek(0)  # type: ignore[attr-defined]
        lines = proc.log.read().strip().splitlines()  # type: ignore[attr-defined]
        return {"s": None if killed else wall, "mb": usage.ru_maxrss / 1024, "out": lines[-2:]}

    def run(self, *args: str, timeout: float) -> dict:
        proc, t = self.start(*args)
        return self.finish(proc, t, timeout)

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def with_other_writer(home: Home, args: list[str], target: Path, timeout: float) -> None:
    """Run ``args``; one second in, ``clipdesk tag --add`` on ``target``; print both."""
    main, t = home.start(*args)
    time.sleep(1.0)
    other, t2 = home.start("tag", str(target), "--add", "Concurrent")
    first = home.finish(other, t2, timeout)
    done = home.finish(main, t, timeout)
    print(f"  {' '.join(args[:2])}: {seconds(done)}, peak {mb(done)}; {done['out']}")
    print(f"  concurrent `clipdesk tag --add`: {seconds(first)} (started 1 s in); {first['out']}")


def seconds(r: dict) -> str:
    return "killed at the timeout" if r["s"] is None else f"{r['s']:.1f} s"


def mb(r: dict) -> str:
    return f"{r['mb']:,.0f} MB" if r["mb"] else "?"


def sidecar_case(code: Path | None, n: int, timeout: float) -> None:
    home = Home(code)
    try:
        p = photo(home.folder / "heavy.jpg", 1)
        Path(f"{p}.xmp").write_text(xmp([f"keyword {i}" for i in range(n)]), "utf-8")
        size = Path(f"{p}.xmp").stat().st_size / 2**20
        print(f"sidecar: one photo, {n:,} keywords ({size:.1f} MB), `clipdesk --model test add`")
        with_other_writer(home, ["--model", "test", "add", str(home.folder)], p, timeout)
    finally:
        home.close()


def photos_case(code: Path | None, photos: int, per: int, timeout: float) -> None:
    home = Home(code)
    try:
        files = [photo(home.folder / f"p{i:03d}.jpg", i) for i in range(photos)]
        home.run("--model", "test", "add", str(home.folder), timeout=timeout)
        for i, f in enumerate(files):
            words = [f"keyword {i}.{j}" for j in range(per)]
            Path(f"{f}.xmp").write_text(xmp(words), "utf-8")
        print(f"photos: {photos} photos x {per:,} new keywords, `clipdesk import-keywords`")
        with_other_writer(home, ["import-keywords"], files[0], timeout)
    finally:
        home.close()


def word(i: int) -> str:
    """The i-th made-up name of letters only ("tag baaa", ...): without digits, its
    calibration twins are shared with other tags', as real words' are."""
    out = ""
    for _ in range(4):
        i, r = divmod(i, 26)
        out = "abcdefghijklmnopqrstuvwxyz"[r] + out
    return "tag " + out


def vocab_case(code: Path | None, n: int, timeout: float) -> None:
    home = Home(code)
    try:
        photo(home.folder / "one.jpg", 7)
        home.run("--model", "test", "add", str(home.folder), timeout=timeout)
        vocab = home.dir / "vocab.yaml"
        vocab.write_text("tags:\n" + "".join(f"  - name: {word(i)}\n" for i in range(n)))
        home.run("vocab", "import", str(vocab), timeout=timeout)
        r = home.run("index", timeout=timeout)
        print(f"vocab: `clipdesk index` after importing {n:,} tags: {seconds(r)}, peak {mb(r)}")
    finally:
        home.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--keywords", type=int, default=20_000)
    ap.add_argument("--photos", type=int, default=20)
    ap.add_argument("--per-photo", type=int, default=1_000)
    ap.add_argument("--vocab", type=int, nargs="*", default=[16_000, 60_000])
    ap.add_argument("--timeout", type=float, default=180.0, help="seconds per command")
    ap.add_argument("--code", type=Path, help="run the commands of this checkout instead")
    ap.add_argument("--only", choices=("sidecar", "photos", "vocab"))
    a = ap.parse_args()
    code = a.code.resolve() if a.code else None
    print(f"code: {code or ROOT.parent}; {os.cpu_count()} CPUs")
    if a.only in (None, "sidecar"):
        sidecar_case(code, a.keywords, a.timeout)
    if a.only in (None, "photos"):
        photos_case(code, a.photos, a.per_photo, a.timeout)
    if a.only in (None, "vocab"):
        for n in a.vocab:
            vocab_case(code, n, a.timeout)


if __name__ == "__main__":
    main()
