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

Each figure is printed for the engine as it is (dlib's face ResNet in int8) and as it was
before (SFace in int8, until 2026-12-07; the detector is the same). Then the embedders side
by side, per face: SFace in int8 and float, dlib's ResNet in float and int8, batches of 1
and 6, with the same-person and different-person cosines and d' of the test faces; with
``--more-faces DIR`` (repeatable), the same on more people's photos (below); and faces
tilted in the image plane (profiles: no test face has one).

``--marked XML`` (repeatable): a dlib imglab file of photos whose faces were marked by hand,
e.g. dlib's examples/faces/training.xml and testing.xml (PASCAL VOC group photos): how many
marked faces ``find`` finds, and how many more it finds.

``--more-faces DIR``: photos named PERSON[N].jpg (a person's photos share PERSON; digits
end it), or a folder of photos per person. Neither is shipped here (their licences are not
stated): face_recognition 1.3.0's sdist has four (White House photos), dlib's examples/johns
(in dlib's GitHub repository, davisking/dlib, not its PyPI sdist) has 5 people x 11 photos:

    pip download --no-deps --no-binary :all: -d /tmp/fr face_recognition==1.3.0
    tar xzf /tmp/fr/face_recognition-1.3.0.tar.gz -C /tmp/fr
    D=/tmp/fr/face_recognition-1.3.0/tests/test_images  # obama, obama2, obama3, biden, ...
    .venv/bin/python benchmarks/faces.py --more-faces $D --more-faces /tmp/dlib/examples/johns
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from common import DATA, PHOTO_SIZE, header, photo_like, photos
from PIL import Image, ImageOps

from clipdesk.faces import FaceEngine, dlib_resnet, sface, similarity
from clipdesk.faces import engine as engine_module
from clipdesk.faces.engine import DETECT_SIDE, _scaled_down
from clipdesk.imaging import decode
from clipdesk.testing.face_edits import EDITS, edited_crops
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


def alternating(engine: FaceEngine, paths: list[Path], rounds: int, turns: int = 3):
    """``per_photo`` of the engine now and before, in ``turns`` alternating turns (so that
    a change in the machine's speed during the run, which moves these shared cores by 10-30%,
    falls on both alike), each figure the median of the turns'."""
    now, before = [], []
    for _ in range(turns):
        now.append(per_photo(engine, paths, rounds))
        with as_before(engine):
            before.append(per_photo(engine, paths, rounds))

    def merged(runs: list[dict]) -> dict:
        out = dict(runs[0])
        for key in ("decode", "find", "wall", "detect"):
            out[key] = statistics.median(r[key] for r in runs)
        return out

    return merged(now), merged(before)


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


def test_crops(engine: FaceEngine, chip) -> tuple[np.ndarray, list[str]]:
    """Aligned crops of each portrait's EDITS (``chip``: an embedder's align.Chip), and whose
    each is (the int8 graphs were calibrated on these: packaging/quantise_faces.py)."""
    crops, people = [], []
    for name in ("astronaut.png", "grace_hopper.jpg"):
        with Image.open(PORTRAITS / name) as im:
            crops.append(edited_crops(engine, im.convert("RGB"), chip))
        people += [name] * len(EDITS)
    return np.concatenate(crops), people


def more_faces(engine: FaceEngine, folder: Path, chip) -> tuple[np.ndarray, list[str], list[str]]:
    """Aligned crops of the largest face of each photo in ``folder``: PERSON[N].jpg (each
    also in its EDITS copies), or one folder of photos per person (dlib's examples/johns,
    each photo as it is); whose each is, and from which photo."""
    crops, people, photos_of = [], [], []
    folders = sorted(p for p in folder.iterdir() if p.is_dir())
    for path in sorted(folder.glob("*/*.jpg") if folders else folder.glob("*.jpg")):
        with Image.open(path) as im:
            image = im.convert("RGB")
        if folders:
            boxes, _, points = engine._detect(image)
            if not len(boxes):
                continue
            largest = int(np.argmax(boxes[:, 2] - boxes[:, 0]))
            found = chip.crop(image, chip.landmark_transform(points[largest]))[None]
            person = path.parent.name
        else:
            try:
                found = edited_crops(engine, image, chip)
            except ValueError:  # an edit of it where no face is found
                continue
            person = re.sub(r"\d+$", "", path.stem)
        crops.append(found)
        people += [person] * len(found)
        photos_of += [f"{person}/{path.stem}"] * len(found)
    return np.concatenate(crops), people, photos_of


def margins(vectors: np.ndarray, people: list[str]) -> tuple[float, float, float]:
    """The lowest same-person and the highest different-person cosine, and d' (the gap
    between the two kinds of pair's means over their pooled spread)."""
    sims = vectors @ vectors.T
    same = [sims[i, j] for i in range(len(people)) for j in range(i) if people[i] == people[j]]
    other = [sims[i, j] for i in range(len(people)) for j in range(i) if people[i] != people[j]]
    spread = np.sqrt((np.var(same) + np.var(other)) / 2)
    return float(min(same)), float(max(other)), float((np.mean(same) - np.mean(other)) / spread)


EMBEDDERS = {
    "before: SFace in int8": (sface, sface.embedder_session),
    "SFace in float": (sface, sface.float_session),
    "dlib's ResNet in float": (dlib_resnet, dlib_resnet.float_session),
    "now: dlib's ResNet in int8": (dlib_resnet, dlib_resnet.embedder_session),
}


def _embedder_table(engine: FaceEngine, rounds: int) -> None:
    print(
        "\n   embedders, per face (CPU ms, median), one thread; cosines of the test faces "
        "(2 people x 10 edits)"
    )
    print(
        f"   {'graph':<28} {'batch 1':>8} {'batch 6':>8} {'same min':>9} {'other max':>10} "
        f"{'d-prime':>8} {'vs float min':>13}"
    )
    reference = {}
    for label, (module, make) in EMBEDDERS.items():
        session = make(1)
        crops, people = test_crops(engine, module.CHIP)
        x = np.ascontiguousarray(crops.transpose(0, 3, 1, 2), dtype=np.float32)
        name = session.get_inputs()[0].name
        costs = []
        for batch in (1, 6):
            many = np.concatenate([x] * (48 // len(x) + 1))[:48]

            def run(data=many, b=batch, s=session, n=name):
                return [s.run(None, {n: data[i : i + b]})[0] for i in range(0, len(data), b)]

            cpu, _, _ = timed(run, max(rounds // 2, 2))
            costs.append(cpu / len(many))
        vectors = module.embed(session, crops)
        if "float" in label:
            reference[module] = vectors
        same, other, dprime = margins(vectors, people)
        drift = (
            f"{float((vectors * reference[module]).sum(1).min()):.4f}"
            if module in reference and "int8" in label
            else ""
        )
        print(
            f"   {label:<28} {costs[0]:>8.1f} {costs[1]:>8.1f} {same:>9.3f} {other:>10.3f} "
            f"{dprime:>8.2f} {drift:>13}"
        )


def embedding_options(engine: FaceEngine, rounds: int, more: Path | None) -> None:
    """CPU ms per face of each embedder, one intra-op thread, and how far apart it holds
    people."""
    if more is None:
        _embedder_table(engine, rounds)
        return
    for label, (module, make) in EMBEDDERS.items():
        crops, people, photos_of = more_faces(engine, more, module.CHIP)
        vectors = module.embed(make(1), crops)
        sims = vectors @ vectors.T
        pairs = [(i, j) for i in range(len(people)) for j in range(i)]
        across = [
            sims[i, j] for i, j in pairs if people[i] == people[j] and photos_of[i] != photos_of[j]
        ]
        same, other, dprime = margins(vectors, people)
        print(
            f"   more faces ({more.name}: {len(set(people))} people, {len(set(photos_of))} "
            f"photos, {len(crops)} faces), {label}: the same person in another photo min "
            f"{min(across, default=float('nan')):.3f}, two people max {other:.3f}, d' {dprime:.2f}"
        )


def marked(engine: FaceEngine, xml: Path) -> None:
    """Faces found against faces marked by hand in real photos: a dlib imglab file (dlib's
    examples/faces/training.xml and testing.xml: PASCAL VOC group photos, faces 37-109 px,
    as the photos are, under the detector's side). A marked face is found when a found
    face's centre lies in its box; a found face no marked box holds is counted apart (a
    false face, or a face nobody marked)."""
    import xml.etree.ElementTree as ET

    marked_n = hit = more = 0
    for entry in ET.parse(xml).getroot().iter("image"):
        boxes = [
            tuple(int(b.get(k)) for k in ("left", "top", "width", "height"))
            for b in entry.iter("box")
            if b.get("ignore") != "1"
        ]
        with Image.open(xml.parent / entry.get("file")) as im:
            image = im.convert("RGB")
        w, h = image.size
        centres = [
            ((f.box[0] + f.box[2] / 2) * w, (f.box[1] + f.box[3] / 2) * h)
            for f in engine.find(image, max_faces=100)
        ]
        held = set()
        for x, y, bw, bh in boxes:
            inside = {
                i for i, (cx, cy) in enumerate(centres) if x <= cx <= x + bw and y <= cy <= y + bh
            }
            hit += bool(inside)
            held |= inside
        marked_n += len(boxes)
        more += len(centres) - len(held)
    print(f"   marked by hand ({xml.name}): {hit}/{marked_n} found, {more} found beyond them")


def tilted(engine: FaceEngine) -> None:
    """What ``find`` finds in each portrait turned in the image plane, and the cosine of
    that face with the upright one."""
    print("\n   faces tilted in the image plane: found (score, cosine with the upright face)")
    angles = (0, 15, 25, 30, 35, 40, 45, 60, 90)
    print(f"   {'portrait':<18} " + " ".join(f"{a:>13}" for a in angles))
    for name in ("astronaut.png", "grace_hopper.jpg"):
        with Image.open(PORTRAITS / name) as im:
            image = im.convert("RGB")
        (upright,) = engine.find(image)
        cells = []
        for angle in angles:
            turned = image.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True)
            faces = engine.find(turned)
            cells.append(
                f"({faces[0].score:.2f}, {similarity(faces[0].vector, upright.vector):.2f})"
                if faces
                else "none"
            )
        print(f"   {name:<18} " + " ".join(f"{c:>13}" for c in cells))


_BEFORE: dict[int, object] = {}  # the int8 SFace session, by intra-op threads


@contextmanager
def as_before(engine: FaceEngine):
    """``engine`` as it was before dlib's ResNet (2026-12-07): SFace in int8 (the detector
    is the same)."""
    engine._embedder_session()
    kept = engine._embedder
    if engine.threads not in _BEFORE:
        _BEFORE[engine.threads] = sface.embedder_session(engine.threads)
    engine._embedder, engine_module.embedder = _BEFORE[engine.threads], sface
    try:
        yield engine
    finally:
        engine._embedder, engine_module.embedder = kept, dlib_resnet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="timed calls per photo")
    parser.add_argument("--quick", action="store_true", help="3 rounds, a shorter sweep")
    parser.add_argument(
        "--detect-side", type=int, help=f"the detector's long side (default {DETECT_SIDE})"
    )
    parser.add_argument(
        "--marked",
        type=Path,
        metavar="XML",
        action="append",
        default=[],
        help="a dlib imglab file of photos with their faces marked (docstring)",
    )
    parser.add_argument(
        "--more-faces",
        type=Path,
        metavar="DIR",
        action="append",
        default=[],
        help="photos named PERSON[N].jpg, or a folder per person (docstring)",
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
        f"\n   {'photo':<44} {'decoded':>8} {'found':>6} {'before':>6} {'decode':>8} "
        f"{'find':>8} {'before':>8} {'(detect)':>9} {'before':>8} {'find wall':>10}"
        "   ms per photo (CPU unless wall), median"
    )
    results = {}
    for label, paths in cases.items():
        r, b = alternating(engine, paths, rounds)
        results[label] = r, b
        print(
            f"   {label:<44} {r['size']:>8} {_found(r)!s:>6} {_found(b)!s:>6} {r['decode']:>8.1f} "
            f"{r['find']:>8.1f} {b['find']:>8.1f} {r['detect']:>9.1f} {b['detect']:>8.1f} "
            f"{r['wall']:>10.1f}"
        )
    for label, (r, b) in results.items():
        n = r["found"][0] if len(r["found"]) == 1 else 0
        each = (
            f", {(r['find'] - r['detect']) / n:.1f} ms a face after the detector "
            f"(before: {(b['find'] - b['detect']) / n:.1f})"
            if n
            else ""
        )
        print(
            f"   side by side, {label}: decode {r['decode']:.1f} ms, faces {r['find']:.1f} ms CPU "
            f"(before: {b['find']:.1f}; {r['find'] / r['decode']:.2f}x the decode{each})"
        )
    six = decode(cases[list(cases)[-1]][0], min_side=DECODE_SIDE).image
    print(
        f"   6 faces, two threads finding at once (threads=1 each): "
        f"{two_at_once(engine, six, rounds):.1f} ms wall per photo"
    )

    embedding_options(engine, rounds, None)
    for folder in args.more_faces:
        embedding_options(engine, 2, folder)

    print("\n   smallest face found: six faces of one width (px in the 6000x4000 original)")
    print(
        f"   {'face width':>10} {'decoded':>8} {'at detector':>12} {'found':>6} "
        f"{'best score':>11} {'detect':>7}   CPU ms"
    )
    for width in sweep:
        layout = [(width, (1000 + 2000 * (i % 3), 1300 + 1500 * (i // 3))) for i in range(6)]
        path = face_photo(FOLDER / f"sweep_{width}.jpg", layout, sources, seed=2800 + width)
        image = decode(path, min_side=DECODE_SIDE).image
        found = len(engine.find(image))
        detect, _, _ = timed(lambda im=image: engine._detect(im), rounds)
        decoded = width * image.width / PHOTO_SIZE[0]
        at_detector = decoded * min(1.0, engine_module.DETECT_SIDE / max(image.size))
        score = best_score(engine, image)
        print(
            f"   {width:>10} {decoded:>8.1f} {at_detector:>12.1f} {found:>4}/6 "
            f"{score:>11.3f} {detect:>7.1f}"
        )

    for xml in args.marked:
        marked(engine, xml)
    tilted(engine)


def _found(r: dict) -> str:
    return str(r["found"][0]) if len(r["found"]) == 1 else f"{sum(r['found'])}/{len(r['found'])}"


if __name__ == "__main__":
    main()
