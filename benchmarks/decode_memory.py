"""Peak memory of ``clipdesk add`` on a worst-case folder, with and without the decode
memory limits (the per-decode byte cap and the budget shared by concurrent decodes).

    .venv/bin/python benchmarks/decode_memory.py [--bombs 4] [--large 2] [--photos 8]
        [--timeout 600] [--code DIR]
    .venv/bin/python benchmarks/decode_memory.py --formats

The folder: ``--bombs`` 15,800x15,800 16-bit RGBA PNGs (~2 MB each, 249.6 MP: just under
the 250 MP pixel cap; Pillow holds them as 8-bit RGBA), ``--large`` 150 MP 8-bit RGB PNGs
(legitimate, under the byte cap: 600 MB each to decode), and ``--photos`` 24 MP JPEGs.
The PNGs are written once into a temporary folder and kept there; the JPEGs are
``common.photos``. Each configuration runs ``clipdesk --model test add`` in its own
process, with the indexer's own concurrency (one lane per core), on a fresh home:

- ``before``: no byte cap (MAX_DECODE_BYTES raised out of reach) and no budget;
- ``cap only``: the per-decode byte cap, no budget;
- ``after``: the defaults (the cap and the budget).

Peak memory is the command's own high-water RSS (``VmHWM``, read as it exits). ``--code
DIR`` adds a run of another checkout with its own defaults (e.g. ``git archive HEAD | tar
-x -C DIR``: the code before).

``--formats`` checks the estimates instead (imaging/footprint.py): one 16 MP file per
format and mode, each decoded by ``decode`` in a fresh process; what the decode reserved
from the budget (its estimate) beside the decode's own peak RSS, in bytes a pixel.
"""

from __future__ import annotations

import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent
DATA = ROOT / "_data"
CACHE = Path(tempfile.gettempdir()) / "clipdesk-decode-memory"

BOMB_SIDE = 15_800
LARGE_SIZE = (15_000, 10_000)

# Run in the measured process before the command: the limits of each configuration.
NO_CAP = "from clipdesk.imaging import core; core.MAX_DECODE_BYTES = 1 << 62\n"
NO_BUDGET = (
    "from clipdesk.imaging import budget; budget.DECODE_BUDGET = budget.DecodeBudget(None)\n"
)
CONFIGS = {"before": NO_CAP + NO_BUDGET, "cap only": NO_BUDGET, "after": ""}


def png(path: Path, width: int, height: int, pixel: bytes, depth: int, colour: int) -> Path:
    """A PNG of one colour, written row by row (never whole in memory); kept once made."""
    if path.is_file():
        return path
    row = b"\0" + pixel * width
    z = zlib.compressobj(9)
    idat = b"".join(z.compress(row) for _ in range(height)) + z.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )
    os.replace(tmp, path)
    return path


def folder(bombs: int, large: int, photos: int) -> Path:
    """The worst-case folder, made once in CACHE (each file a different colour, so that no
    two share a content hash)."""
    out = CACHE / f"photos-{bombs}-{large}-{photos}"
    out.mkdir(parents=True, exist_ok=True)
    print(f"folder {out} (kept between runs)", flush=True)
    for i in range(bombs):  # 16 bits, RGBA: 8 bytes a pixel in the file
        pixel = struct.pack(">4H", 1000 * (i + 1), 20000, 40000, 65535)
        png(out / f"bomb-{i}.png", BOMB_SIDE, BOMB_SIDE, pixel, 16, 6)
    for i in range(large):  # 8 bits, RGB
        png(out / f"large-{i}.png", *LARGE_SIZE, bytes((40 * i, 120, 200)), 8, 2)
    if photos:
        sys.path.insert(0, str(ROOT))
        from common import photos as photo_like

        for i, src in enumerate(photo_like(photos)):
            dst = out / f"photo-{i:02d}.jpg"
            if not dst.is_file():
                shutil.copyfile(src, dst)
    return out


# Prepended to the command: its own peak RSS as it exits (kB, to the file named by the
# first argument). A child's ru_maxrss would also count this script's RSS when it forked.
HWM = """import atexit, sys
def _hwm(path=sys.argv.pop(1)):
    with open("/proc/self/status") as status:
        kb = next(line.split()[1] for line in status if line.startswith("VmHWM"))
    with open(path, "w") as out:
        out.write(kb)
atexit.register(_hwm)
"""


def run(code: Path, setup: str, photos: Path, timeout: float) -> dict:
    """``clipdesk --model test add`` on a fresh home: seconds, peak RSS (MB), summary."""
    home = Path(tempfile.mkdtemp(prefix="clipdesk-decmem-"))
    hwm = home / "hwm"
    try:
        (home / "cache").mkdir()
        onnx = DATA / "onnx-test-model"  # the test model's export, kept between runs
        onnx.mkdir(parents=True, exist_ok=True)
        os.symlink(onnx, home / "cache" / "onnx")
        env = {**os.environ, "CLIPDESK_HOME": str(home), "PYTHONPATH": str(code)}
        args = ["clipdesk", "--model", "test", "add", str(photos)]
        script = f"{HWM}{setup}sys.argv = {args!r}\nfrom clipdesk.cli import entry\nentry()\n"
        log = tempfile.TemporaryFile("w+")  # not a pipe: a full pipe would stall the command
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", script, str(hwm)],
            cwd=code,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            proc.wait(timeout)
            wall: float | None = time.perf_counter() - started
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            wall = None
        log.seek(0)
        lines = log.read().splitlines()
        summary = next((line for line in lines if "photos seen" in line), "")
        return {
            "s": wall,
            "mb": int(hwm.read_text()) / 1024 if hwm.is_file() else 0.0,
            "rc": proc.returncode,
            "summary": summary.strip() or (lines[-1] if lines else ""),
            "skipped": [line.strip() for line in lines if line.strip().startswith("skipped")],
        }
    finally:
        shutil.rmtree(home, ignore_errors=True)


FORMAT_SIDE = 4000


def format_files() -> list[Path]:
    """16 MP files of each format and mode the estimates distinguish, made once."""
    import numpy as np
    import pillow_heif
    from PIL import Image

    out = CACHE / "formats"
    out.mkdir(parents=True, exist_ok=True)
    side = FORMAT_SIDE
    png(out / "png-rgba-16bit.png", side, side, struct.pack(">4H", 9000, 2, 3, 65535), 16, 6)
    png(out / "png-grey-16bit.png", side, side, struct.pack(">H", 30000), 16, 0)
    rng = np.random.default_rng(0)
    blocks = rng.integers(0, 256, (side // 16, side // 16, 3), dtype=np.uint8)
    rgb = Image.fromarray(np.kron(blocks, np.ones((16, 16, 1), np.uint8)))
    grey = np.asarray(rgb.convert("L"))
    made = {
        "png-rgb.png": lambda p: rgb.save(p),
        "png-rgba.png": lambda p: rgb.convert("RGBA").save(p),
        "png-grey.png": lambda p: rgb.convert("L").save(p),
        "png-grey-alpha.png": lambda p: rgb.convert("LA").save(p),
        "png-palette-transparent.png": lambda p: rgb.convert("P").save(p, transparency=0),
        "jpeg-baseline.jpg": lambda p: rgb.save(p, quality=90),
        "jpeg-progressive.jpg": lambda p: rgb.save(p, quality=90, progressive=True),
        "jpeg-progressive-444.jpg": lambda p: rgb.save(
            p, quality=90, progressive=True, subsampling=0
        ),
        "tiff-rgb.tif": lambda p: rgb.save(p),
        "tiff-rgb-lzw.tif": lambda p: rgb.save(p, compression="tiff_lzw"),
        "tiff-cmyk.tif": lambda p: rgb.convert("CMYK").save(p),
        "tiff-lab.tif": lambda p: rgb.convert("LAB").save(p),
        "tiff-16bit-grey.tif": lambda p: Image.fromarray(grey.astype(np.uint16) * 256).save(p),
        "tiff-int32.tif": lambda p: Image.fromarray((grey.astype(np.int32) - 100) * 1000).save(p),
        "tiff-float.tif": lambda p: Image.fromarray(grey.astype(np.float32) * 1000).save(p),
        "webp.webp": lambda p: rgb.save(p, quality=80),
        "avif.avif": lambda p: rgb.save(p, quality=50, speed=10),
        "jpeg2000.jp2": lambda p: rgb.save(p),
        "heic.heic": lambda p: pillow_heif.from_pillow(rgb).save(p, quality=50),
        "gif.gif": lambda p: rgb.convert("P").save(p),
        "bmp.bmp": lambda p: rgb.save(p),
    }
    for name, save in made.items():
        if not (out / name).is_file():
            save(out / name)
    return sorted(out.iterdir())


MEASURE = """
import sys
from clipdesk.imaging import budget, decode
def kb(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field))
rss = kb("VmRSS")
decode(sys.argv[1])
print(budget.DECODE_BUDGET.peak, (kb("VmHWM") - rss) * 1024)
"""


def formats() -> None:
    """Each format's estimate beside its decode's peak RSS, in bytes a pixel."""
    pixels = FORMAT_SIDE * FORMAT_SIDE
    print(f"`decode` (min_side 256) of {FORMAT_SIDE}x{FORMAT_SIDE} files, each in a fresh process")
    print("| file | estimate, B/px | peak RSS, B/px | estimate / peak |")
    print("|---|---:|---:|---:|")
    for path in format_files():
        env = {**os.environ, "PYTHONPATH": str(ROOT.parent)}
        out = subprocess.run(
            [sys.executable, "-c", MEASURE, str(path)], env=env, capture_output=True, text=True
        )
        if out.returncode:
            print(f"| {path.name} | failed: {out.stderr.strip().splitlines()[-1]} | | |")
            continue
        estimate, peak = map(int, out.stdout.split())
        print(
            f"| {path.name} | {estimate / pixels:.2f} | {peak / pixels:.2f} "
            f"| {estimate / max(peak, 1):.2f} |"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bombs", type=int, default=4, help="15,800^2 16-bit RGBA PNGs")
    ap.add_argument("--large", type=int, default=2, help="150 MP 8-bit RGB PNGs")
    ap.add_argument("--photos", type=int, default=8, help="24 MP JPEGs")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per command")
    ap.add_argument("--code", type=Path, help="also run this checkout with its own defaults")
    ap.add_argument("--formats", action="store_true", help="check the estimates per format")
    a = ap.parse_args()
    if a.formats:
        formats()
        return
    photos = folder(a.bombs, a.large, a.photos)
    print(
        f"{os.cpu_count()} CPUs; `clipdesk --model test add` of {a.bombs} bombs, "
        f"{a.large} x 150 MP RGB PNG, {a.photos} x 24 MP JPEG",
        flush=True,
    )
    runs = [(name, ROOT.parent, setup) for name, setup in CONFIGS.items()]
    if a.code:
        runs.append((f"--code {a.code}", a.code.resolve(), ""))
    results = {}
    for name, code, setup in runs:
        r = results[name] = run(code, setup, photos, a.timeout)
        took = "killed at the timeout" if r["s"] is None else f"{r['s']:.1f} s"
        print(f"  {name:10} peak RSS {r['mb']:7,.0f} MB  {took:>8}  exit {r['rc']}  {r['summary']}")
        for line in r["skipped"]:
            print(f"      {line}")
    print()
    print("| " + " | ".join(results) + " |")
    print("|" + "---|" * len(results))
    print("| " + " | ".join(f"{r['mb']:,.0f} MB" for r in results.values()) + " |")


if __name__ == "__main__":
    main()
