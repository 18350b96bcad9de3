"""The face stage's cost per photo (issue 27): CPU and wall of ``FaceEngine.find`` on a 24 MP
JPEG decoded the way the indexer decodes it, and the smallest face it still finds there.

Photos: 6000x4000 JPEGs (quality 90) of the benchmarks' photo-like background with the two
test portraits (tests/data/faces/) pasted in, head and shoulders, enlarged to realistic face
sizes: 1 face (a portrait, face 900 px wide), 3 (a small group, 420-520 px) and 6 (a group,
260-420 px); none (the project's synthetic shapes, 36 small JPEGs, and a faceless 24 MP
photo). Each is decoded with ``clipdesk.imaging.decode(path, min_side=256)`` (a 24 MP JPEG:
DCT-scaled to 750x500) and ``find`` runs on that image, on one intra-op thread; the decode's
own time is printed beside it. A face's side is the width of the box YuNet draws around it.

Then the sweep: 24 MP photos with six faces of one side each (40 ... 480 px in the
original), how many ``find`` finds at the decode size, and their best detector score below
the threshold when it finds none.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from pathlib import Path

import numpy as np
from common import DATA, PHOTO_SIZE, header, photo_like, photos
from PIL import Image, ImageOps

from clipdesk.faces import FaceEngine
from clipdesk.faces import engine as engine_module
from clipdesk.faces.engine import DETECT_SIDE, _scaled_down
from clipdesk.imaging import decode
from clipdesk.testing.synthetic import write_folder

REPO = Path(__file__).resolve().parent.parent
PORTRAITS = REPO / "tests" / "data" / "faces"
FOLDER = DATA / "faces"
DECODE_SIDE = 256  # the indexer's min_side for ViT-B-32's 224 px input
SWEEP = (40, 60, 80, 120, 160, 200, 240, 320, 480)

# Face widths (px, in the 6000x4000 original) and where each face's centre goes.
LAYOUTS = {
    1: [(900, (3000, 1700))],
    3: [(520, (1500, 1500)), (470, (3000, 1700)), (420, (4500, 1500))],
    6: [
        (420, (900, 1200)),
        (380, (2300, 1300)),
        (340, (3700, 1200)),
        (320, (5100, 1300)),
        (300, (1600, 2900)),
        (260, (4400, 2900)),
    ],
}


def portrait_faces(engine: FaceEngine) -> list[tuple[Image.Image, tuple[float, ...]]]:
    """The two portraits and their face boxes (fractions), each also mirrored."""
    out = []
    for name in ("astronaut.png", "grace_hopper.jpg"):
        with Image.open(PORTRAITS / name) as im:
            image = im.convert("RGB")
        (face,) = engine.find(image)
        x, y, w, h = face.box
        out.append((image, face.box))
        out.append((ImageOps.mirror(image), (1 - x - w, y, w, h)))
    return out


def face_photo(path: Path, faces: list, sources: list, seed: int) -> Path:
    """A 24 MP JPEG with ``faces`` [(width px, centre)] pasted on a photo-like background,
    each a head-and-shoulders crop (2.4 face widths across) of the next source portrait."""
    if path.is_file():
        return path
    canvas = photo_like(np.random.default_rng(seed), PHOTO_SIZE)
    for n, (width, (cx, cy)) in enumerate(faces):
        image, (x, y, w, h) = sources[n % len(sources)]
        scale = width / (w * image.width)
        fx, fy = (x + w / 2) * image.width, (y + h / 2) * image.height
        half = 1.2 * w * image.width  # the crop's half width, in the portrait's pixels
        box = (
            max(fx - half, 0),
            max(fy - half * 1.1, 0),
            min(fx + half, image.width),
            min(fy + half * 1.4, image.height),
        )
        head = image.crop(tuple(round(v) for v in box))
        size = (round(head.width * scale), round(head.height * scale))
        head = head.resize(size, Image.Resampling.BICUBIC)
        canvas.paste(head, (round(cx - (fx - box[0]) * scale), round(cy - (fy - box[1]) * scale)))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    canvas.save(tmp, "JPEG", quality=90)
    os.replace(tmp, path)
    return path


def timed(fn, rounds: int) -> tuple[float, float, object]:
    """Median CPU ms and wall ms of ``fn()`` over ``rounds`` (after one warm call), and its
    last result."""
    result = fn()
    cpu, wall = [], []
    for _ in range(rounds):
        c, t = time.process_time(), time.perf_counter()
        result = fn()
        cpu.append(1000 * (time.process_time() - c))
        wall.append(1000 * (time.perf_counter() - t))
    return statistics.median(cpu), statistics.median(wall), result


def per_photo(engine: FaceEngine, paths: list[Path], rounds: int) -> dict:
    """Decode and find per photo (medians over the photos of each one's median)."""
    decode_cpu, find_cpu, find_wall, detect_cpu, found = [], [], [], [], []
    for path in paths:
        d_cpu, _, decoded = timed(lambda p=path: decode(p, min_side=DECODE_SIDE), rounds)
        image = decoded.image
        f_cpu, f_wall, faces = timed(lambda im=image: engine.find(im), rounds)
        det_cpu, _, _ = timed(lambda im=image: engine._detect(im), rounds)
        decode_cpu.append(d_cpu)
        find_cpu.append(f_cpu)
        find_wall.append(f_wall)
        detect_cpu.append(det_cpu)
        found.append(len(faces))
    return {
        "size": f"{image.width}x{image.height}",
        "decode": statistics.median(decode_cpu),
        "find": statistics.median(find_cpu),
        "wall": statistics.median(find_wall),
        "detect": statistics.median(detect_cpu),
        "found": found,
    }


def two_at_once(engine: FaceEngine, image: Image.Image, n: int) -> float:
    """Wall ms per photo with two threads each running ``find`` n times (threads=1 each)."""
    engine.find(image)

    def work():
        for _ in range(n):
            engine.find(image)

    threads = [threading.Thread(target=work) for _ in range(2)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return 1000 * (time.perf_counter() - start) / (2 * n)


def best_score(engine: FaceEngine, image: Image.Image) -> float:
    """The detector's best score on ``image`` as ``find`` scales it, however low (0 if none
    reaches 0.3)."""
    side = engine_module.DETECT_SIDE
    _, scores, _ = engine._look(_scaled_down(image, side), 0.3, image.size)
    return float(scores.max()) if len(scores) else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="timed calls per photo")
    parser.add_argument("--quick", action="store_true", help="3 rounds, a shorter sweep")
    parser.add_argument(
        "--detect-side", type=int, help=f"the detector's long side (default {DETECT_SIDE})"
    )
    args = parser.parse_args()
    if args.detect_side:
        engine_module.DETECT_SIDE = args.detect_side
    rounds = 3 if args.quick else args.rounds
    sweep = (40, 120, 240, 480) if args.quick else SWEEP

    header(
        f"faces: FaceEngine.find per 24 MP photo, decoded at min_side {DECODE_SIDE}, "
        f"threads=1, detector long side {engine_module.DETECT_SIDE}"
    )
    engine = FaceEngine(threads=1)
    start, cpu = time.perf_counter(), time.process_time()
    sources = portrait_faces(engine)
    print(
        f"   models loaded and the portraits found in {time.perf_counter() - start:.2f} s "
        f"({time.process_time() - cpu:.2f} s CPU)"
    )

    shapes = FOLDER / "shapes"
    if not any(shapes.glob("*.jpg")):
        write_folder(shapes, 36, seed=7)
    cases = {
        "0 faces: 36 synthetic shapes (96-400 px)": sorted(shapes.glob("*.jpg")),
        "0 faces: 24 MP photo-like": photos(1),
    }
    for n, layout in LAYOUTS.items():
        path = face_photo(FOLDER / f"faces_{n}.jpg", layout, sources, seed=2700 + n)
        widths = [w for w, _ in layout]
        cases[f"{n} face{'s' if n > 1 else ''}: 24 MP, faces {min(widths)}-{max(widths)} px"] = [
            path
        ]

    print(
        f"\n   {'photo':<44} {'decoded':>8} {'found':>6} {'decode':>8} {'find':>8} "
        f"{'(detect)':>9} {'find wall':>10}   ms per photo (CPU unless wall), median"
    )
    results = {}
    for label, paths in cases.items():
        r = per_photo(engine, paths, rounds)
        results[label] = r
        found = r["found"][0] if len(r["found"]) == 1 else f"{sum(r['found'])}/{len(r['found'])}"
        print(
            f"   {label:<44} {r['size']:>8} {found!s:>6} {r['decode']:>8.1f} {r['find']:>8.1f} "
            f"{r['detect']:>9.1f} {r['wall']:>10.1f}"
        )
    for label, r in results.items():
        n = r["found"][0] if len(r["found"]) == 1 else 0
        each = f", {(r['find'] - r['detect']) / n:.1f} ms a face after the detector" if n else ""
        print(
            f"   side by side, {label}: decode {r['decode']:.1f} ms, faces {r['find']:.1f} ms CPU "
            f"({r['find'] / r['decode']:.2f}x the decode{each})"
        )
    six = decode(cases[list(cases)[-1]][0], min_side=DECODE_SIDE).image
    print(
        f"   6 faces, two threads finding at once (threads=1 each): "
        f"{two_at_once(engine, six, rounds):.1f} ms wall per photo"
    )

    print("\n   smallest face found: six faces of one width (px in the 6000x4000 original)")
    print(
        f"   {'face width':>10} {'decoded':>8} {'at detector':>12} {'found':>6} {'best score':>11}"
    )
    for width in sweep:
        layout = [(width, (1000 + 2000 * (i % 3), 1300 + 1500 * (i // 3))) for i in range(6)]
        path = face_photo(FOLDER / f"sweep_{width}.jpg", layout, sources, seed=2800 + width)
        image = decode(path, min_side=DECODE_SIDE).image
        found = len(engine.find(image))
        decoded = width * image.width / PHOTO_SIZE[0]
        at_detector = decoded * min(1.0, engine_module.DETECT_SIDE / max(image.size))
        score = best_score(engine, image)
        print(f"   {width:>10} {decoded:>8.1f} {at_detector:>12.1f} {found:>4}/6 {score:>11.3f}")


if __name__ == "__main__":
    main()
