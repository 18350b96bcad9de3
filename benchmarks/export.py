"""Export of 10k XMP sidecars: ClipDesk's exporter vs one exiftool process per photo.

    .venv/bin/python benchmarks/export.py [--quick]

Builds a catalog of N small JPEGs, each with three confirmed tags, then times
``export_library`` (merge-preserving write through exiv2, temp file + rename, one
catalog transaction) on a fresh folder, again with nothing to change, and as a dry
run; and, for a ratio, the common shell-script approach (``exiftool`` run once per
photo) on a sample, extrapolated.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from clipdesk.catalog import Catalog  # noqa: E402
from clipdesk.sidecars.sync import export_library  # noqa: E402
from clipdesk.tagging.store import TagStore  # noqa: E402

TAGS = ["Places|Beach", "Animals|Dog", "Events|Holiday", "People|Family", "Scenes|Sunset"]


def build(root: Path, n: int) -> Catalog:
    photos = root / "photos"
    photos.mkdir()
    img = Image.new("RGB", (64, 48), (120, 80, 40))
    for i in range(n):
        img.save(photos / f"{i:05d}.jpg", quality=70)
    cat = Catalog(root / "cat.sqlite3")
    folder = cat.add_folder(photos)
    store = TagStore(cat)
    with cat.transaction():
        tag_ids = [store.ensure(t) for t in TAGS]
        for i, p in enumerate(sorted(photos.iterdir())):
            st = p.stat()
            pid = cat.insert_photo(folder, str(p), st.st_size, st.st_mtime_ns, f"h{i}")
            cat.set_decoded(pid, 64, 48, 1, None)
            for k in range(3):
                cat.conn.execute(
                    "INSERT INTO photo_tags VALUES (?, ?, 'confirmed', 'user', NULL, 0)",
                    (pid, tag_ids[(i + k) % len(tag_ids)]),
                )
    return cat


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n = 1000 if args.quick else 10_000
    sample = 50 if args.quick else 200
    with tempfile.TemporaryDirectory() as tmp:
        cat = build(Path(tmp), n)
        t = time.perf_counter()
        dry = export_library(cat, dry_run=True)
        dry_s = time.perf_counter() - t
        t = time.perf_counter()
        first = export_library(cat)
        first_s = time.perf_counter() - t
        t = time.perf_counter()
        again = export_library(cat)
        again_s = time.perf_counter() - t
        print(f"{n:,} photos, 3 tags each (ext naming, digiKam TagsList on)")
        print(f"  dry run:            {dry_s:6.1f} s  ({dry.summary()})")
        print(
            f"  export, new:        {first_s:6.1f} s  {n / first_s:7.0f} sidecars/s  "
            f"({first.summary()})"
        )
        print(
            f"  export, unchanged:  {again_s:6.1f} s  {n / again_s:7.0f} sidecars/s  "
            f"({again.summary()})"
        )
        exiftool = shutil.which("exiftool")
        if exiftool:
            photos = sorted((Path(tmp) / "photos").glob("*.jpg"))[:sample]
            t = time.perf_counter()
            for p in photos:
                subprocess.run(
                    [
                        exiftool,
                        "-q",
                        "-o",
                        f"{p}.naive.xmp",
                        "-XMP-dc:Subject=Beach",
                        "-XMP-dc:Subject=Dog",
                        "-XMP-lr:HierarchicalSubject=Places|Beach",
                        "-XMP-lr:HierarchicalSubject=Animals|Dog",
                        str(p),
                    ],
                    check=True,
                )
            per = (time.perf_counter() - t) / sample
            print(
                f"  exiftool per photo: {per * n:6.1f} s  {1 / per:7.0f} sidecars/s  "
                f"(timed on {sample}, extrapolated to {n:,}; creates, does not merge)"
            )
            print(f"  ratio ClipDesk / exiftool-per-photo: {per * n / first_s:.1f}x")
        cat.close()


if __name__ == "__main__":
    main()
