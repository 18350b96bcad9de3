"""clipdesk.imaging: real files written to tmp_path, decoded for real."""

from __future__ import annotations

import io
import os
import random
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile, ImageOps, features

from clipdesk.imaging import (
    MAX_PIXELS,
    RAW_EXTENSIONS,
    SUPPORTED_EXTENSIONS,
    DecodedImage,
    ImageError,
    ThumbnailCache,
    decode,
    make_thumbnail,
)

RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)
YELLOW = (255, 255, 0)


def close(actual, expected, tol: int = 8) -> bool:
    """Colours equal within ``tol`` per channel (JPEG and colour maths are not exact)."""
    return all(abs(int(a) - int(e)) <= tol for a, e in zip(actual, expected, strict=True))


def centre(img: Image.Image) -> tuple[int, ...]:
    return img.getpixel((img.width // 2, img.height // 2))


def quadrants(size: tuple[int, int]) -> Image.Image:
    """Red top-left, green top-right, blue bottom-left, yellow bottom-right."""
    w, h = size
    img = Image.new("RGB", size)
    img.paste(RED, (0, 0, w // 2, h // 2))
    img.paste(GREEN, (w // 2, 0, w, h // 2))
    img.paste(BLUE, (0, h // 2, w // 2, h))
    img.paste(YELLOW, (w // 2, h // 2, w, h))
    return img


def quadrant_colours(img: Image.Image) -> list[tuple[int, ...]]:
    """The colour at the centre of each quadrant: TL, TR, BL, BR."""
    w, h = img.size
    return [img.getpixel((x, y)) for y in (h // 4, 3 * h // 4) for x in (w // 4, 3 * w // 4)]


def exif_bytes(orientation: int | None = None, original: str | None = None, dt: str | None = None):
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    if dt is not None:
        exif[0x0132] = dt
    if original is not None:
        exif.get_ifd(0x8769)[0x9003] = original
    return exif.tobytes()


def png_with_size(path: Path, width: int, height: int) -> Path:
    """A real 8x8 PNG whose IHDR then claims width x height (CRC fixed, so it looks valid)."""
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), RED).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    # Signature (8) + chunk length (4) + b"IHDR" (4), then width and height.
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[12:29]))  # chunk type + 13 bytes of IHDR data
    data[29:33] = struct.pack(">I", crc)
    path.write_bytes(bytes(data))
    return path


@pytest.fixture(scope="module")
def big_jpeg(tmp_path_factory) -> Path:
    """A 4000x3000 (12 MP) JPEG shot in portrait: orientation 6, with a capture date."""
    path = tmp_path_factory.mktemp("big") / "portrait.jpg"
    quadrants((4000, 3000)).save(
        path, quality=85, exif=exif_bytes(6, "2023:05:06 07:08:09", "2024:01:01 00:00:00")
    )
    return path


# --- JPEG: reduced decode, orientation, metadata ----------------------------------------


def test_large_jpeg_is_decoded_small_via_draft_but_reports_full_size(big_jpeg):
    result = decode(big_jpeg, min_side=256)

    assert isinstance(result, DecodedImage)
    assert result.image.mode == "RGB"
    # DCT scaling 1/8: 4000x3000 -> 500x375, then turned upright.
    assert result.image.size == (375, 500)
    assert 256 <= min(result.image.size) < 2 * 256
    assert (result.width, result.height) == (3000, 4000)
    assert result.orientation == 6
    assert result.taken_at == "2023-05-06T07:08:09"  # DateTimeOriginal wins over DateTime
    # Turned 90 degrees clockwise: the top-left (red) quadrant is now top-right.
    tl, tr, bl, br = quadrant_colours(result.image)
    assert close(tl, BLUE) and close(tr, RED) and close(bl, YELLOW) and close(br, GREEN)


def test_min_side_larger_than_eighth_scale_keeps_short_side(big_jpeg):
    result = decode(big_jpeg, min_side=1000)
    # 1/2 scale (2000x1500) is the largest reduction that keeps the short side >= 1000.
    assert result.image.size == (1500, 2000)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_is_applied(tmp_path, orientation):
    stored = quadrants((64, 32))
    path = tmp_path / f"o{orientation}.jpg"
    stored.save(path, quality=95, exif=exif_bytes(orientation))

    result = decode(path, min_side=1000)  # no reduction: compare with the full image

    # Pillow's exif_transpose is the reference for what a viewer shows.
    with Image.open(path) as original:
        expected = ImageOps.exif_transpose(original)
    assert result.image.size == expected.size
    assert (result.width, result.height) == expected.size
    assert result.orientation == orientation
    for got, want in zip(quadrant_colours(result.image), quadrant_colours(expected), strict=True):
        assert close(got, want, tol=12)


def test_small_image_is_never_upscaled(tmp_path):
    path = tmp_path / "small.png"
    Image.new("RGB", (100, 80), GREEN).save(path)
    result = decode(path, min_side=256)
    assert result.image.size == (100, 80)
    assert (result.width, result.height) == (100, 80)
    assert result.orientation == 1 and result.taken_at is None


def test_non_jpeg_is_reduced_to_just_above_min_side(tmp_path):
    path = tmp_path / "big.png"
    quadrants((1200, 900)).save(path)
    result = decode(path, min_side=256)
    assert 256 <= min(result.image.size) < 512
    assert result.image.size[0] / result.image.size[1] == pytest.approx(4 / 3, rel=0.01)
    assert (result.width, result.height) == (1200, 900)
    tl, tr, bl, br = quadrant_colours(result.image)
    assert (tl, tr, bl, br) == (RED, GREEN, BLUE, YELLOW)


def test_png_named_jpg_decodes_by_content(tmp_path):
    path = tmp_path / "actually_png.jpg"
    Image.new("RGB", (40, 30), BLUE).save(path, "PNG")
    result = decode(str(path))
    assert result.image.size == (40, 30)
    assert centre(result.image) == BLUE


def test_mpo_decodes_first_picture_at_reduced_size(tmp_path):
    # Many cameras write MPO (JPEG + Multi-Picture Format); Pillow opens it as "MPO".
    path = tmp_path / "camera.jpg"
    first, second = Image.new("RGB", (2000, 1600), RED), Image.new("RGB", (2000, 1600), BLUE)
    first.save(path, "MPO", save_all=True, append_images=[second])
    result = decode(path, min_side=200)
    assert result.image.size == (250, 200)
    assert (result.width, result.height) == (2000, 1600)
    assert close(centre(result.image), RED)


def test_non_utf8_file_names(tmp_path):
    # Linux file names are bytes; old cameras/cards give Latin-1 names that are not UTF-8.
    jpeg = tmp_path / os.fsdecode(b"caf\xe9.jpg")
    Image.new("RGB", (32, 24), GREEN).save(jpeg, "JPEG")
    assert close(centre(decode(jpeg).image), GREEN)
    dng = _write_dng(tmp_path / os.fsdecode(b"caf\xe9.dng"), Image.new("RGB", (64, 48), RED))
    assert close(centre(decode(dng).image), RED)


@pytest.mark.parametrize(
    ("original", "dt", "expected"),
    [
        ("2020:02:29 23:59:58", None, "2020-02-29T23:59:58"),
        (None, "2019:12:31 08:00:00", "2019-12-31T08:00:00"),  # DateTime fallback
        ("0000:00:00 00:00:00", None, None),  # camera clock never set
        ("garbage", None, None),
    ],
)
def test_taken_at(tmp_path, original, dt, expected):
    path = tmp_path / "dated.jpg"
    Image.new("RGB", (16, 16)).save(path, exif=exif_bytes(None, original, dt))
    assert decode(path).taken_at == expected


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_corrupt_exif_does_not_lose_the_photo(tmp_path):
    path = tmp_path / "bad_exif.jpg"
    Image.new("RGB", (32, 24), RED).save(path, exif=b"Exif\x00\x00II*\x00\xff\xff\xff\x7f junk")
    result = decode(path)
    assert close(centre(result.image), RED)
    assert result.orientation == 1 and result.taken_at is None


# --- colour modes -------------------------------------------------------------------------


def _p_with_transparent_index(path: Path, fmt: str) -> None:
    img = Image.new("P", (8, 8), 1)
    img.putpalette([0, 0, 0, 255, 0, 0] + [0, 0, 0] * 254)
    img.save(path, fmt, transparency=1)  # index 1 (red) is fully transparent


def _i16_big_endian(path: Path) -> None:
    Image.fromarray(np.full((8, 8), 32768, dtype=">u2")).save(path, "TIFF")


def _rgb_with_colour_key(path: Path) -> None:
    Image.new("RGB", (8, 8), (10, 20, 30)).save(path, "PNG", transparency=(10, 20, 30))


def _new(mode: str, colour, fmt: str, **kw):
    return lambda path: Image.new(mode, (8, 8), colour).save(path, fmt, **kw)


# (id, file suffix, writer, mode Pillow must open it as, expected RGB, tolerance)
MODE_CASES = [
    ("I;16 png 50%", "png", _new("I;16", 32768, "PNG"), "I;16", (128, 128, 128), 0),
    ("I;16 tiff full", "tif", _new("I;16", 65535, "TIFF"), "I;16", WHITE, 0),
    ("I;16B tiff", "tif", _i16_big_endian, "I;16B", (128, 128, 128), 0),
    ("I 16-bit range", "tif", _new("I", 32768, "TIFF"), "I", (128, 128, 128), 0),
    ("F normalised", "tif", _new("F", 0.5, "TIFF"), "F", (128, 128, 128), 1),
    ("L", "png", _new("L", 77, "PNG"), "L", (77, 77, 77), 0),
    ("1", "png", _new("1", 1, "PNG"), "1", WHITE, 0),
    ("P opaque", "gif", _new("RGB", RED, "GIF"), "P", RED, 0),
    ("P transparent png", "png", lambda p: _p_with_transparent_index(p, "PNG"), "P", WHITE, 0),
    ("P transparent gif", "gif", lambda p: _p_with_transparent_index(p, "GIF"), "P", WHITE, 0),
    ("PA tiff", "tif", _new("PA", (1, 0), "TIFF"), "PA", WHITE, 0),
    ("LA clear", "png", _new("LA", (0, 0), "PNG"), "LA", WHITE, 0),
    ("LA opaque", "png", _new("LA", (100, 255), "PNG"), "LA", (100, 100, 100), 0),
    ("RGBA clear black", "png", _new("RGBA", (0, 0, 0, 0), "PNG"), "RGBA", WHITE, 0),
    ("RGBA half red", "png", _new("RGBA", (255, 0, 0, 128), "PNG"), "RGBA", (255, 127, 127), 1),
    ("RGBA webp", "webp", _new("RGBA", (0, 0, 0, 0), "WEBP", lossless=True), "RGBA", WHITE, 0),
    ("RGB colour key", "png", _rgb_with_colour_key, "RGB", WHITE, 0),
    ("CMYK jpeg", "jpg", _new("CMYK", (0, 255, 255, 0), "JPEG", quality=95), "CMYK", RED, 16),
    ("CMYK tiff", "tif", _new("CMYK", (0, 0, 255, 0), "TIFF"), "CMYK", YELLOW, 0),
    ("YCbCr tiff", "tif", _new("YCbCr", (81, 90, 240), "TIFF"), "YCbCr", (238, 14, 13), 3),
    ("LAB red", "tif", _new("LAB", (138, 208, 195), "TIFF"), "LAB", (251, 9, 11), 6),
    ("LAB mid grey", "tif", _new("LAB", (128, 128, 128), "TIFF"), "LAB", (119, 119, 119), 3),
]


@pytest.mark.parametrize(
    ("suffix", "write", "file_mode", "expected", "tol"),
    [case[1:] for case in MODE_CASES],
    ids=[case[0] for case in MODE_CASES],
)
def test_colour_mode_becomes_right_rgb(tmp_path, suffix, write, file_mode, expected, tol):
    path = tmp_path / f"img.{suffix}"
    write(path)
    with Image.open(path) as written:
        assert written.mode == file_mode  # the file really exercises that mode

    result = decode(path)

    assert result.image.mode == "RGB"
    assert result.image.size == (8, 8)
    assert close(centre(result.image), expected, tol), centre(result.image)


def test_adobe_inverted_cmyk_jpeg(tmp_path):
    # libjpeg writes CMYK with an Adobe APP14 marker and inverted samples, as Photoshop does.
    path = tmp_path / "adobe.jpg"
    Image.new("CMYK", (16, 16), (255, 0, 255, 0)).save(path, quality=95)
    with Image.open(path) as written:
        assert "adobe" in written.info
    assert close(centre(decode(path).image), GREEN, tol=16)


def test_wide_range_integer_and_float_are_stretched(tmp_path):
    ints = np.array([[-1000, 0, 1000]] * 3, dtype=np.int32)
    Image.fromarray(ints).save(tmp_path / "i.tif")  # mode I with negative values
    floats = np.array([[0.0, 500.0, 1000.0]] * 3, dtype=np.float32)
    Image.fromarray(floats).save(tmp_path / "f.tif")

    for name in ("i.tif", "f.tif"):
        img = decode(tmp_path / name).image
        row = [img.getpixel((x, 1))[0] for x in range(3)]
        assert row[0] == 0 and row[2] == 255 and 126 <= row[1] <= 129, (name, row)


def test_16_bit_gradient_keeps_its_tones(tmp_path):
    ramp = np.tile(np.arange(0, 65536, 256, dtype=np.uint16), (4, 1))  # 256 grey steps
    Image.fromarray(ramp).save(tmp_path / "ramp.png")
    img = decode(tmp_path / "ramp.png", min_side=4).image
    assert [img.getpixel((x, 0))[0] for x in (0, 64, 128, 255)] == [0, 64, 128, 255]


# --- decompression bombs ------------------------------------------------------------------


# Pillow's own warning fires in Image.open, before our check; for an image we refuse anyway.
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_header_over_cap_is_refused_before_decoding(tmp_path):
    path = png_with_size(tmp_path / "bomb.png", 20_000, 20_000)
    with pytest.raises(ImageError) as err:
        decode(path)
    assert str(err.value) == "image too large: 400 megapixels exceeds the 250 megapixel limit"


def test_absurd_header_is_refused(tmp_path):
    # 10 gigapixels: Pillow's own limit fires inside Image.open; it must still be ImageError.
    path = png_with_size(tmp_path / "bomb.png", 100_000, 100_000)
    with pytest.raises(ImageError) as err:
        decode(path)
    assert str(err.value) == "image too large: 10000 megapixels exceeds the 250 megapixel limit"


@pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")
def test_pillow_bomb_warning_escalated_to_error_becomes_image_error(tmp_path):
    path = png_with_size(tmp_path / "bomb.png", 20_000, 15_000)  # 300 MP: Pillow warns
    with pytest.raises(ImageError, match="image too large: 300 megapixels"):
        decode(path)


def test_lowered_max_pixels(tmp_path, big_jpeg):
    path = tmp_path / "small.png"
    Image.new("RGB", (100, 100)).save(path)
    with pytest.raises(ImageError) as err:
        decode(path, max_pixels=5000)
    assert str(err.value) == "image too large: 10,000 pixels exceeds the 5,000 pixel limit"
    # A JPEG is checked on its header size, not on the much smaller draft size.
    with pytest.raises(ImageError, match="12 megapixels exceeds the 10 megapixel limit"):
        decode(big_jpeg, max_pixels=10_000_000)
    assert decode(path, max_pixels=10_000).image.size == (100, 100)  # exactly at the cap


def test_max_pixels_constant():
    assert MAX_PIXELS == 250_000_000


# --- bad files ----------------------------------------------------------------------------


def _truncated_jpeg(path: Path) -> None:
    rng = np.random.default_rng(1)
    noise = Image.fromarray(rng.integers(0, 256, (300, 400, 3), dtype=np.uint8))
    buf = io.BytesIO()
    noise.save(buf, "JPEG", quality=90)
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])


def _truncated_png(path: Path) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (200, 200), RED).save(buf, "PNG", compress_level=0)
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])


def _random_bytes(path: Path) -> None:
    path.write_bytes(random.Random(3).randbytes(4096))


BAD_FILES = [
    ("empty.jpg", lambda p: p.write_bytes(b""), "empty file (0 bytes)"),
    ("notes.jpg", lambda p: p.write_text("shopping list\neggs\n"), "not an image"),
    ("noise.png", _random_bytes, "not an image (unrecognised format)"),
    ("half.jpg", _truncated_jpeg, "truncated or corrupt image data"),
    ("half.png", _truncated_png, "truncated or corrupt image data"),
    ("folder.jpg", lambda p: p.mkdir(), "is a directory"),
    ("garbage.cr2", _random_bytes, "unsupported or corrupt RAW file"),
    ("garbage.dng", lambda p: p.write_bytes(b"II*\x00" + bytes(500)), "RAW file"),
    ("garbage.heic", lambda p: p.write_bytes(b"\0\0\0\x18ftypheic" + bytes(64)), "corrupt"),
    ("fifo.jpg", lambda p: os.mkfifo(p), "not a regular file"),
]


@pytest.mark.parametrize(("name", "make", "reason"), BAD_FILES, ids=[case[0] for case in BAD_FILES])
def test_bad_file_raises_image_error_with_one_line_reason(tmp_path, name, make, reason):
    path = tmp_path / name
    make(path)
    with pytest.raises(ImageError) as err:
        decode(path)
    message = str(err.value)
    assert reason in message
    assert "\n" not in message and message.strip() == message


def test_missing_file(tmp_path):
    with pytest.raises(ImageError, match="cannot read file: No such file or directory"):
        decode(tmp_path / "gone.jpg")


@pytest.mark.permissions
def test_unreadable_file(tmp_path):
    path = tmp_path / "locked.jpg"
    Image.new("RGB", (8, 8)).save(path)
    path.chmod(0)
    try:
        try:
            path.open("rb").close()
        except PermissionError:
            pass
        else:  # root (tests run as root here) reads chmod 000 files
            pytest.skip("this user can read chmod 000 files")
        with pytest.raises(ImageError, match="^cannot read file: Permission denied$"):
            decode(path)
    finally:
        path.chmod(0o644)


def test_truncation_is_detected_not_hidden():
    # Were this enabled globally, truncated files would decode silently with a grey band.
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


# --- HEIC ---------------------------------------------------------------------------------

pillow_heif = pytest.importorskip("pillow_heif")
needs_heif_encoder = pytest.mark.skipif(
    not pillow_heif.libheif_info().get("HEIF"), reason="this pillow-heif has no HEIF encoder"
)


@needs_heif_encoder
def test_heic_decodes_with_right_colour_size_and_date(tmp_path):
    path = tmp_path / "phone.heic"
    exif = exif_bytes(None, "2022:08:09 10:11:12")
    pillow_heif.from_pillow(quadrants((640, 480))).save(path, quality=90, exif=exif)

    result = decode(path, min_side=100)

    assert (result.width, result.height) == (640, 480)
    assert 100 <= min(result.image.size) < 200
    tl, tr, bl, br = quadrant_colours(result.image)
    assert close(tl, RED, 24) and close(tr, GREEN, 24)
    assert close(bl, BLUE, 24) and close(br, YELLOW, 24)
    assert result.taken_at == "2022-08-09T10:11:12"


@needs_heif_encoder
def test_heic_rotation_is_applied_once(tmp_path):
    path = tmp_path / "portrait.heic"
    # Stored landscape pixels plus orientation 6: libheif writes an 'irot' box, as phones do.
    pillow_heif.from_pillow(quadrants((640, 480))).save(
        path, quality=90, exif=exif_bytes(6), thumbnails=[320]
    )

    # min_side 200 is served by the 240x320 thumbnail, 300 by the primary image: both upright.
    for min_side, size in ((200, (240, 320)), (300, (480, 640))):
        result = decode(path, min_side=min_side)
        assert result.image.size == size
        assert (result.width, result.height) == (480, 640)
        assert result.orientation == 6
        tl, tr, bl, br = quadrant_colours(result.image)
        assert close(tl, BLUE, 24) and close(tr, RED, 24)
        assert close(bl, YELLOW, 24) and close(br, GREEN, 24)


@needs_heif_encoder
def test_heic_embedded_thumbnail_used_only_when_large_enough(tmp_path):
    path = tmp_path / "thumbed.heic"
    pillow_heif.from_pillow(quadrants((1000, 750))).save(path, quality=80, thumbnails=[400])
    assert pillow_heif.open_heif(path).info["thumbnails"] == [400]

    # The 400x300 thumbnail covers min_side=200: it is returned as is. Had the primary been
    # decoded, reduce(3) would have given 334x250.
    small = decode(path, min_side=200)
    assert small.image.size == (400, 300)
    assert (small.width, small.height) == (1000, 750)
    assert close(quadrant_colours(small.image)[0], RED, 24)

    # 300 < 500: the thumbnail is too small, the primary image is decoded.
    large = decode(path, min_side=500)
    assert large.image.size == (1000, 750)


@needs_heif_encoder
def test_heic_bomb_and_truncation(tmp_path):
    path = tmp_path / "x.heic"
    pillow_heif.from_pillow(Image.new("RGB", (200, 100), RED)).save(path, quality=50)
    with pytest.raises(ImageError, match="image too large"):
        decode(path, max_pixels=10_000)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match="truncated or corrupt"):
        decode(path)


@needs_heif_encoder
def test_heic_with_wrong_extension_decodes_by_content(tmp_path):
    path = tmp_path / "misnamed.jpg"
    pillow_heif.from_pillow(Image.new("RGB", (64, 48), BLUE)).save(path, quality=90)
    assert close(centre(decode(path).image), BLUE, 24)


@pytest.mark.skipif(not features.check("avif"), reason="Pillow built without AVIF")
def test_avif_decodes(tmp_path):
    path = tmp_path / "a.avif"
    Image.new("RGB", (64, 48), RED).save(path, quality=90)
    result = decode(path)
    assert (result.width, result.height) == (64, 48)
    assert close(centre(result.image), RED, 16)


# --- RAW (a hand-built DNG that LibRaw accepts) -------------------------------------------


def _write_dng(path: Path, preview: Image.Image | None, **kw) -> Path:
    from tests.support.dng import write_dng

    write_dng(path, preview, **kw)
    return path


def test_raw_embedded_preview_with_orientation(tmp_path):
    path = _write_dng(tmp_path / "shot.dng", quadrants((320, 240)), orientation=6)

    result = decode(path, min_side=64)

    # The sensor is 64x48; shot in portrait it displays as 48x64.
    assert (result.width, result.height) == (48, 64)
    assert result.orientation == 6
    assert result.image.width < result.image.height
    tl, tr, bl, br = quadrant_colours(result.image)
    assert close(tl, BLUE) and close(tr, RED) and close(bl, YELLOW) and close(br, GREEN)
    assert result.taken_at == "2021-07-14T09:30:05"


@pytest.mark.parametrize("orientation", range(1, 9))
def test_raw_orientation_tag_is_applied(tmp_path, orientation):
    path = _write_dng(tmp_path / "o.dng", quadrants((64, 32)), orientation=orientation)
    result = decode(path, min_side=1000)

    reference = quadrants((64, 32))
    reference.info["exif"] = exif_bytes(orientation)
    expected = ImageOps.exif_transpose(reference)
    assert result.orientation == orientation
    assert result.image.size == expected.size
    assert (result.width, result.height) == ((48, 64) if orientation >= 5 else (64, 48))
    for got, want in zip(quadrant_colours(result.image), quadrant_colours(expected), strict=True):
        assert close(got, want, tol=12)


def test_raw_large_preview_is_draft_decoded(tmp_path):
    path = _write_dng(tmp_path / "big.dng", quadrants((1600, 1200)), orientation=1)
    result = decode(path, min_side=256)
    assert result.image.size == (400, 300)  # JPEG DCT scaling 1/4
    assert (result.width, result.height) == (64, 48)
    assert result.orientation == 1
    assert close(quadrant_colours(result.image)[3], YELLOW)


def test_raw_bitmap_preview(tmp_path):
    # An uncompressed RGB preview: LibRaw hands it over as an array, not JPEG bytes.
    path = _write_dng(tmp_path / "bm.dng", quadrants((320, 240)), orientation=3, preview_jpeg=False)
    result = decode(path, min_side=100)
    assert result.image.size == (160, 120)
    assert (result.width, result.height) == (64, 48)
    # Upside down (180 degrees): yellow top-left, red bottom-right.
    assert quadrant_colours(result.image) == [YELLOW, BLUE, GREEN, RED]


def test_raw_without_preview(tmp_path):
    path = _write_dng(tmp_path / "bare.dng", None)
    with pytest.raises(ImageError, match="^RAW file has no embedded preview$"):
        decode(path)


def test_raw_preview_obeys_max_pixels(tmp_path):
    path = _write_dng(tmp_path / "p.dng", Image.new("RGB", (320, 240), RED))
    with pytest.raises(ImageError, match="image too large"):
        decode(path, max_pixels=50_000)


def test_jpeg_with_raw_extension_still_decodes(tmp_path):
    path = tmp_path / "renamed.nef"
    Image.new("RGB", (64, 48), GREEN).save(path, "JPEG")
    assert close(centre(decode(path).image), GREEN)


def test_extension_sets():
    assert RAW_EXTENSIONS <= SUPPORTED_EXTENSIONS
    assert {".jpg", ".heic", ".avif", ".cr3", ".rwl", ".3fr"} <= SUPPORTED_EXTENSIONS
    assert ".jpg" not in RAW_EXTENSIONS
    assert all(e == e.lower() and e.startswith(".") for e in SUPPORTED_EXTENSIONS)


# --- thread safety ------------------------------------------------------------------------


def test_concurrent_decodes_match_serial_ones(tmp_path, big_jpeg):
    paths = [big_jpeg]
    for i, (mode, colour) in enumerate(
        [("RGBA", (0, 0, 0, 0)), ("I;16", 32768), ("CMYK", (0, 255, 255, 0)), ("P", 3)]
    ):
        p = tmp_path / f"{i}.{'jpg' if mode == 'CMYK' else 'png'}"
        Image.new(mode, (300, 200), colour).save(p)
        paths.append(p)
    paths.append(_write_dng(tmp_path / "r.dng", quadrants((320, 240)), orientation=8))
    (tmp_path / "bad.jpg").write_bytes(b"nope")
    paths.append(tmp_path / "bad.jpg")
    pillow_limit = Image.MAX_IMAGE_PIXELS

    def run(p: Path):
        try:
            r = decode(p, min_side=64)
        except ImageError as e:
            return str(e)
        return r.image.size, r.image.tobytes(), r.width, r.height, r.orientation

    serial = [run(p) for p in paths]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(run, paths * 4))
    assert parallel == serial * 4
    assert Image.MAX_IMAGE_PIXELS == pillow_limit  # no per-call global changes


# --- thumbnails ---------------------------------------------------------------------------


def test_make_thumbnail_keeps_aspect_and_never_enlarges():
    wide = make_thumbnail(Image.new("RGB", (1000, 500)), 256)
    assert wide.size == (256, 128)
    tall = make_thumbnail(Image.new("RGB", (300, 900)), 256)
    assert tall.size == (85, 256)
    src = Image.new("RGB", (100, 50))
    small = make_thumbnail(src, 256)
    assert small.size == (100, 50) and small is not src


def test_thumbnail_cache_saves_valid_sharded_jpeg(tmp_path):
    cache = ThumbnailCache(tmp_path / "thumbs", size=128)
    key = "ab12cd34" * 8
    assert cache.path_for(key) == tmp_path / "thumbs" / "ab" / f"{key}.jpg"
    assert not cache.has(key)

    saved = cache.save(key, quadrants((1000, 400)))

    assert saved == cache.path_for(key) and cache.has(key)
    with Image.open(saved) as thumb:
        assert thumb.format == "JPEG" and thumb.mode == "RGB"
        assert thumb.size == (128, 51)
        assert close(quadrant_colours(thumb)[0], RED, 16)
    assert os.listdir(saved.parent) == [saved.name]  # no temp files left behind


def test_thumbnail_cache_transparent_source_is_white(tmp_path):
    cache = ThumbnailCache(tmp_path)
    path = cache.save("ff" * 16, Image.new("RGBA", (64, 64), (0, 0, 0, 0)))
    with Image.open(path) as thumb:
        assert close(centre(thumb), WHITE, 2)


def test_thumbnail_cache_failed_write_keeps_old_file(tmp_path, monkeypatch):
    cache = ThumbnailCache(tmp_path)
    key = "0a" * 20
    path = cache.save(key, Image.new("RGB", (64, 64), RED))
    before = path.read_bytes()

    def disk_full(self, fp, *args, **kwargs):
        fp.write(b"\xff\xd8partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", disk_full)
    with pytest.raises(OSError, match="No space left"):
        cache.save(key, Image.new("RGB", (64, 64), BLUE))
    monkeypatch.undo()

    assert path.read_bytes() == before
    assert os.listdir(path.parent) == [path.name]


@pytest.mark.parametrize("key", ["../../etc/passwd", "a", "", "xyz!", "ab/cd"])
def test_thumbnail_cache_rejects_non_hex_keys(tmp_path, key):
    with pytest.raises(ValueError):
        ThumbnailCache(tmp_path).path_for(key)


# -- JPEG embedded previews (MPF Large Thumbnail, as cameras write) ------------------------


def _jpeg_with_preview(
    path: Path,
    main_size=(1200, 800),
    preview_size=(600, 400),
    mp_type=0x010002,
    orientation=1,
    main_colour=RED,
    preview_colour=GREEN,
) -> Path:
    """A JPEG whose MPF index lists a second image of ``mp_type``. The preview has its own
    colour so that a test can tell which image was decoded."""
    main, preview = (
        Image.new("RGB", main_size, main_colour),
        Image.new("RGB", preview_size, preview_colour),
    )
    exif = Image.Exif()
    exif[0x0112] = orientation
    main.save(path, "MPO", save_all=True, append_images=[preview], exif=exif, quality=90)
    set_second_mp_type(path, mp_type)
    return path


def set_second_mp_type(path: Path, mp_type: int) -> None:
    """Pillow marks an appended image "Undefined"; mark it as a camera would."""
    data = bytearray(path.read_bytes())
    tiff = data.index(b"MPF\0") + 4  # the MP index is a little TIFF structure (Pillow: "II")
    ifd = tiff + struct.unpack_from("<L", data, tiff + 4)[0]
    for i in range(struct.unpack_from("<H", data, ifd)[0]):
        tag, _, _, value = struct.unpack_from("<HHLL", data, ifd + 2 + 12 * i)
        if tag == 0xB002:  # MP entries, 16 bytes each: the second one's type
            struct.pack_into("<L", data, tiff + value + 16, mp_type)
    path.write_bytes(bytes(data))


def test_a_large_enough_embedded_preview_is_decoded_instead_of_the_main_image(tmp_path):
    path = _jpeg_with_preview(tmp_path / "camera.jpg", orientation=6)
    d = decode(path, min_side=256)
    assert close(centre(d.image), GREEN)  # the preview, not the main image
    assert min(d.image.size) >= 256 and d.image.size[0] < d.image.size[1]  # turned upright
    assert (d.width, d.height, d.orientation) == (800, 1200, 6)  # the main image's own size


@pytest.mark.parametrize(
    "kind",
    ["too small", "letterboxed", "not a preview"],
)
def test_a_preview_that_is_not_the_photo_at_the_needed_size_is_not_used(tmp_path, kind):
    args = {
        "too small": {"preview_size": (300, 200)},
        "letterboxed": {"preview_size": (640, 360)},
        "not a preview": {"mp_type": 0x020002},  # a stereo pair's other view
    }[kind]
    path = _jpeg_with_preview(tmp_path / "camera.jpg", **args)
    d = decode(path, min_side=256)
    assert close(centre(d.image), RED)
    assert (d.width, d.height) == (1200, 800)


def test_a_broken_preview_falls_back_to_the_main_image(tmp_path):
    path = _jpeg_with_preview(tmp_path / "camera.jpg")
    data = path.read_bytes()
    second = data.rfind(b"\xff\xd8\xff")  # the preview's start
    path.write_bytes(data[:second] + b"\0" * (len(data) - second))
    d = decode(path, min_side=256)
    assert close(centre(d.image), RED)


def _noisy_photo(width: int, height: int) -> Image.Image:
    rng = np.random.default_rng(5)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    grad = np.stack([x / width, y / height, (x + y) / (width + height)], axis=-1)
    smooth = np.kron(rng.normal(0, 0.2, (height // 8 + 1, width // 8 + 1, 3)), np.ones((8, 8, 1)))
    pixels = np.clip((grad * 0.7 + smooth[:height, :width] + 0.15) * 255, 0, 255)
    return Image.fromarray(pixels.astype(np.uint8), "RGB")


def test_a_thumbnail_drawn_from_the_models_scaled_copy_looks_the_same(tmp_path):
    """The indexer passes the model's scaled copy (336x224 of a 750x500 decode for
    ViT-B-32): the thumbnail has the same size and, to the eye, the same pixels."""
    from clipdesk.embedding.preprocess import ImageTransform

    photo = _noisy_photo(750, 500)
    _, scaled = ImageTransform((224, 224)).with_scaled(photo)
    assert scaled.size == (336, 224)
    direct, drawn = make_thumbnail(photo, 256), make_thumbnail(photo, 256, scaled)
    assert drawn.size == direct.size == (256, 171)
    diff = np.abs(np.asarray(drawn, np.int16) - np.asarray(direct, np.int16))
    assert diff.mean() < 2.0 and np.percentile(diff, 99) <= 8
    cache = ThumbnailCache(tmp_path)
    with Image.open(cache.save("ab" * 16, photo, scaled)) as saved:
        assert saved.size == (256, 171)


def test_a_scaled_copy_too_small_or_of_another_mode_is_not_used():
    photo = _noisy_photo(750, 500)
    small = photo.resize((150, 100))  # under the thumbnail's 256x171: drawn from the photo
    assert np.array_equal(
        np.asarray(make_thumbnail(photo, 256, small)), np.asarray(make_thumbnail(photo, 256))
    )
    grey = photo.convert("L").resize((336, 224))
    assert make_thumbnail(photo, 256, grey).mode == "RGB"
    assert np.array_equal(
        np.asarray(make_thumbnail(photo, 256, grey)), np.asarray(make_thumbnail(photo, 256))
    )
