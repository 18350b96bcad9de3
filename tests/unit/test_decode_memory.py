"""Decode memory: the per-decode cap counts bytes (bit depth, channels, the decode's own
copies), and the decodes running at once share a budget of bytes. Real files, real threads."""

from __future__ import annotations

import struct
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image

from clipdesk.imaging import MAX_DECODE_BYTES, MAX_PIXELS, ImageError, core, decode
from clipdesk.imaging import budget as decode_budget
from clipdesk.imaging.budget import DecodeBudget

WAIT = 10.0  # seconds a thread may wait for another before the test gives up (never hit)


def png16_rgba(path: Path, width: int, height: int) -> Path:
    """A 16-bit RGBA PNG of one colour (Pillow cannot write one; it reads it as RGBA)."""
    row = b"\0" + b"\x80\x00\x40\x00\x20\x00\xff\xff" * width  # filter 0, then the pixels
    idat = zlib.compress(row * height, 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 16, 6, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )
    return path


@pytest.fixture
def budget(monkeypatch) -> DecodeBudget:
    """A fresh process-wide budget of 1 MB for the test (decode reads it when called)."""
    fresh = DecodeBudget(1_000_000)
    monkeypatch.setattr(decode_budget, "DECODE_BUDGET", fresh)
    return fresh


# --- the per-decode cap counts bytes -------------------------------------------------------


def test_16_bit_rgba_png_over_the_byte_cap_is_refused_with_the_reason(tmp_path, budget):
    path = png16_rgba(tmp_path / "deep.png", 400, 300)  # 120,000 pixels: far under MAX_PIXELS
    assert 400 * 300 < MAX_PIXELS
    with Image.open(path) as img:
        assert img.mode == "RGBA"
    # Loaded as RGBA (4 bytes a pixel) plus the RGB result (4): 960,000 bytes.
    with pytest.raises(ImageError) as err:
        decode(path, max_bytes=900_000)
    assert str(err.value) == (
        "image too large: decoding 400x300 RGBA needs about 960,000 bytes of memory, "
        "over the 900,000 bytes limit"
    )
    assert budget.peak == 0  # refused from the header: nothing was reserved
    assert decode(path, max_bytes=960_000).image.size == (400, 300)  # exactly at the cap


def test_the_cap_counts_channels_not_pixels(tmp_path, budget):
    """The same pixel count passes as 8-bit RGB and is refused with alpha."""
    rgb = tmp_path / "rgb.png"
    Image.new("RGB", (400, 300), (10, 20, 30)).save(rgb)
    rgba = png16_rgba(tmp_path / "rgba.png", 400, 300)
    # RGB: 480,000 bytes and a reduced copy; RGBA: 960,000 (the RGBA and the RGB result).
    assert decode(rgb, min_side=64, max_bytes=600_000).image.mode == "RGB"
    with pytest.raises(ImageError, match="image too large: decoding 400x300 RGBA"):
        decode(rgba, min_side=64, max_bytes=600_000)


def test_the_default_cap_is_read_when_decode_is_called(tmp_path, budget, monkeypatch):
    path = png16_rgba(tmp_path / "deep.png", 200, 100)
    monkeypatch.setattr(core, "MAX_DECODE_BYTES", 100_000)
    with pytest.raises(ImageError, match="over the 100,000 bytes limit"):
        decode(path)


def test_jpeg_is_counted_at_its_reduced_size_but_progressive_at_its_coefficients(tmp_path, budget):
    """DCT scaling shrinks a baseline JPEG's decode; a progressive JPEG keeps every DCT
    coefficient of the full image (3 bytes a pixel at 4:2:0) while it decodes."""
    picture = Image.radial_gradient("L").resize((2400, 1600)).convert("RGB")
    baseline, progressive = tmp_path / "baseline.jpg", tmp_path / "progressive.jpg"
    picture.save(baseline, quality=85)
    picture.save(progressive, quality=85, progressive=True)
    full_rgb = 2400 * 1600 * 4  # 15.4 MB: what a decode at full size would hold
    assert decode(baseline, min_side=256, max_bytes=full_rgb // 4).image.size == (600, 400)
    with pytest.raises(ImageError, match="image too large: decoding 2400x1600 RGB"):
        decode(progressive, min_side=256, max_bytes=full_rgb // 4)
    assert decode(progressive, min_side=256, max_bytes=full_rgb).image.size == (600, 400)


def test_default_cap_keeps_large_photos_and_refuses_the_16_bit_rgba_bomb():
    """What the figures in MAX_DECODE_BYTES's comment promise, from the estimates alone."""
    from clipdesk.imaging.footprint import finish_bytes
    from clipdesk.imaging.modes import to_rgb_bytes

    def needs(mode_bytes: int, convert: int, w: int, h: int) -> int:
        return max(w * h * (mode_bytes + convert), finish_bytes(w, h, 448))

    assert needs(4, to_rgb_bytes("RGB"), 15_000, 10_000) <= MAX_DECODE_BYTES  # 150 MP TIFF
    assert needs(4, to_rgb_bytes("RGBA"), 10_000, 5_000) <= MAX_DECODE_BYTES  # 50 MP RGBA
    assert needs(4, to_rgb_bytes("RGBA"), 15_800, 15_800) > MAX_DECODE_BYTES  # the bomb
    assert MAX_DECODE_BYTES < 1_000_000_000


# --- the budget shared by concurrent decodes ----------------------------------------------


def test_budget_lets_at_most_its_bytes_be_held_at_once():
    budget = DecodeBudget(100)
    cond = threading.Condition()
    state = {"inside": 0, "most": 0, "done": 0}
    n = 6

    def hold() -> None:
        with budget.reserve(40):  # two fit in 100, a third does not
            with cond:
                state["inside"] += 1
                state["most"] = max(state["most"], state["inside"])
                cond.notify_all()
                # Stay until a second holder arrives, or nobody else can come.
                cond.wait_for(lambda: state["inside"] >= 2 or state["done"] >= n - 1, WAIT)
                state["inside"] -= 1
                state["done"] += 1
                cond.notify_all()

    with ThreadPoolExecutor(n) as pool:
        for f in [pool.submit(hold) for _ in range(n)]:
            f.result()
    assert state["most"] == 2
    assert budget.peak == 80
    assert budget.held == 0 and budget.waiting == 0


def test_a_reservation_larger_than_the_budget_runs_alone():
    budget = DecodeBudget(100)
    small_held, small_go = threading.Event(), threading.Event()
    big_in, big_go, late_in = threading.Event(), threading.Event(), threading.Event()

    def small() -> None:
        with budget.reserve(30):
            small_held.set()
            small_go.wait(WAIT)

    def big() -> None:
        with budget.reserve(250):
            big_in.set()
            big_go.wait(WAIT)

    def late() -> None:
        with budget.reserve(10):
            late_in.set()

    with ThreadPoolExecutor(3) as pool:
        first = pool.submit(small)
        assert small_held.wait(WAIT)
        second = pool.submit(big)
        wait_for(lambda: budget.waiting == 1)
        assert not big_in.is_set()  # waits for the 30 bytes held to be given back
        small_go.set()
        first.result()
        assert big_in.wait(WAIT)  # then runs, alone, though 250 > 100
        third = pool.submit(late)
        wait_for(lambda: budget.waiting == 1)
        assert not late_in.is_set()  # nothing runs beside it
        big_go.set()
        second.result(), third.result()
    assert late_in.is_set()
    assert budget.peak == 250 and budget.held == 0


def test_reservations_are_granted_in_order_so_a_large_one_is_not_starved():
    budget = DecodeBudget(100)
    order: list[str] = []
    held, go = threading.Event(), threading.Event()

    def first() -> None:
        with budget.reserve(60):
            held.set()
            go.wait(WAIT)

    def take(name: str, nbytes: int) -> None:
        with budget.reserve(nbytes):
            order.append(name)

    with ThreadPoolExecutor(3) as pool:
        a = pool.submit(first)
        assert held.wait(WAIT)
        b = pool.submit(take, "large", 60)  # does not fit beside the 60 held
        wait_for(lambda: budget.waiting == 1)
        c = pool.submit(take, "small", 10)  # would fit, but waits behind "large"
        wait_for(lambda: budget.waiting == 2)
        assert order == []
        go.set()
        a.result(), b.result(), c.result()
    assert order == ["large", "small"]


def test_a_nested_reservation_never_waits_for_its_own_thread():
    budget = DecodeBudget(100)
    with budget.reserve(80), budget.reserve(80):
        assert budget.held == 160
    assert budget.held == 0
    with DecodeBudget(10).reserve(1_000):  # alone and over the whole budget: granted
        pass


def test_no_budget_only_counts():
    budget = DecodeBudget(None)
    with budget.reserve(10**12), budget.reserve(10**12):
        assert budget.held == 2 * 10**12


# --- decode() holds the budget -------------------------------------------------------------


def test_concurrent_decodes_stay_within_the_budget(tmp_path, budget):
    paths = [png16_rgba(tmp_path / f"{i}.png", 300, 200) for i in range(8)]
    need = 300 * 200 * 8  # 480,000 bytes each: two fit in the 1 MB budget, three do not
    with ThreadPoolExecutor(4) as pool:
        sizes = list(pool.map(lambda p: decode(p, min_side=64).image.size, paths))
    assert sizes == [(100, 67)] * 8
    assert need <= budget.peak <= budget.total
    assert budget.held == 0


def test_decodes_larger_than_the_budget_run_one_at_a_time(tmp_path, monkeypatch):
    budget = DecodeBudget(1)
    monkeypatch.setattr(decode_budget, "DECODE_BUDGET", budget)
    paths = [png16_rgba(tmp_path / f"{i}.png", 300, 200) for i in range(4)]
    with ThreadPoolExecutor(4) as pool:
        assert len(list(pool.map(decode, paths))) == 4
    assert budget.peak == 300 * 200 * 8  # one at a time: never two held together


def test_a_refused_or_broken_decode_gives_its_bytes_back(tmp_path, budget):
    broken = png16_rgba(tmp_path / "broken.png", 300, 200)
    broken.write_bytes(broken.read_bytes()[:-40])  # the IDAT cut short
    with pytest.raises(ImageError, match="truncated or corrupt"):
        decode(broken)
    assert budget.peak > 0 and budget.held == 0


def wait_for(condition, timeout: float = WAIT) -> None:
    """Poll until ``condition()`` (another thread reaching a wait); fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the other thread never got there"
        time.sleep(0.001)
