"""JPEG embedded previews: does decoding a camera's MPF large preview beat DCT-scaled decode?

Many cameras write, after the main 24 MP image, an MPF "Large Thumbnail" (a Full-HD or VGA
JPEG of the same picture). This writes copies of the benchmark's 24 MP JPEGs with such a
preview (1920x1280, quality 90, MPType 0x010002 as cameras mark it) and compares, per
image, single-threaded:

(a) ``decode`` of the main image (DCT-scaled draft, what ClipDesk does for any JPEG);
(b) decoding the embedded preview at the same reduced size (what ``decode`` now does when a
    Large Thumbnail is at least the needed size and has the main image's aspect ratio);

CPU ms per image, and how close the model inputs and the ViT-B-32 (random weights) and test
model embeddings are (cosine of (b) against (a), and against a full-resolution decode).
"""

from __future__ import annotations

import argparse
import struct
import time
from pathlib import Path

import numpy as np
from common import DATA, RANDOM_VIT, header, load, photos, row, warm_page_cache
from PIL import Image

from clipdesk.imaging import decode

PREVIEW = (1920, 1280)
SIDE = 256  # the indexer's decode side for ViT-B-32 with 256 px thumbnails
FULL_HD_PREVIEW = 0x010002


def with_preview(src: Path, dest: Path, size: tuple[int, int] = PREVIEW) -> Path:
    """A copy of ``src`` with an MPF Large Thumbnail of ``size`` (written once)."""
    if dest.is_file():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    main = Image.open(src)
    main.load()
    preview = main.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    tmp = dest.with_suffix(".tmp")
    main.save(tmp, "MPO", save_all=True, append_images=[preview], quality=90)
    # Pillow marks the second image "Undefined"; cameras mark it a Large Thumbnail.
    data = bytearray(tmp.read_bytes())
    tiff = data.index(b"MPF\0") + 4  # the MP index is a little TIFF structure
    ifd = tiff + struct.unpack_from("<L", data, tiff + 4)[0]
    for i in range(struct.unpack_from("<H", data, ifd)[0]):
        tag, _, _, value = struct.unpack_from("<HHLL", data, ifd + 2 + 12 * i)
        if tag == 0xB002:  # MP entries, 16 bytes each: the second one's type
            struct.pack_into("<L", data, tiff + value + 16, FULL_HD_PREVIEW)
    tmp.write_bytes(bytes(data))
    tmp.replace(dest)
    return dest


def cpu_ms(fn, paths: list[Path], repeat: int) -> float:
    best = []
    for _ in range(repeat):
        start = time.process_time()
        for p in paths:
            fn(p)
        best.append(time.process_time() - start)
    return 1000 * min(best) / len(paths)


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1)  # both L2-normalised


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=8, help="number of 24 MP photos")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    header(f"JPEG embedded preview vs DCT-scaled decode, {args.n} x 24 MP, min side {SIDE}")
    sources = photos(args.n)
    plain = [with_preview(p, DATA / "photos-24mp-preview" / p.name) for p in sources]
    # The same file without its preview would be the fair (a); the main image is the same
    # JPEG stream, so (a) decodes the preview-carrying file with previews switched off.
    warm_page_cache(plain)
    from clipdesk.imaging import raster

    def main_only(p: Path):
        raster.USE_EMBEDDED_PREVIEW = False
        try:
            return decode(p, min_side=SIDE)
        finally:
            raster.USE_EMBEDDED_PREVIEW = True

    def preview(p: Path):
        return decode(p, min_side=SIDE)

    d_main, d_prev = [main_only(p) for p in plain], [preview(p) for p in plain]
    used = sum(a.image.size != b.image.size for a, b in zip(d_main, d_prev, strict=True))
    print(
        f"   preview used for {used} of {len(plain)} files; reduced sizes main "
        f"{d_main[0].image.size}, preview {d_prev[0].image.size}"
    )
    t_main = cpu_ms(main_only, plain, args.repeat)
    t_prev = cpu_ms(preview, plain, args.repeat)
    start = time.process_time()
    full = [Image.open(p).convert("RGB") for p in plain[: min(4, len(plain))]]
    t_full = 1000 * (time.process_time() - start) / len(full)
    print("-- CPU per image, one thread (best of repeats)")
    row("(a) DCT-scaled decode of the 24 MP image", t_main, "ms")
    row("(b) decode of the embedded 1920x1280 preview", t_prev, "ms")
    row("full-resolution decode (reference)", t_full, "ms")
    row("(a) / (b)", t_main / t_prev, "x")
    print("-- closeness of (b) to (a), and of both to a full decode (first 4 photos)")
    for spec, name in ((RANDOM_VIT, "ViT-B-32 random"), ("test", "test model")):
        emb = load(spec, "onnx")
        xa = np.stack([emb.preprocess(d.image) for d in d_main])
        xb = np.stack([emb.preprocess(d.image) for d in d_prev])
        xf = np.stack([emb.preprocess(im) for im in full])
        va, vb, vf = emb.encode_images(xa), emb.encode_images(xb), emb.encode_images(xf)
        c_ab = cosines(va, vb)
        k = len(full)
        c_af, c_bf = cosines(va[:k], vf), cosines(vb[:k], vf)
        print(
            f"   {name}: model input mean |(b) - (a)| {np.abs(xa - xb).mean():.4f}; cosine "
            f"(b) vs (a) mean {c_ab.mean():.5f} min {c_ab.min():.5f}; vs full decode: "
            f"(a) {c_af.mean():.5f}, (b) {c_bf.mean():.5f}"
        )


if __name__ == "__main__":
    main()
