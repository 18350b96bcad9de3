"""The face engine on its real models and real faces: two public-domain portraits, edited
copies of them, a group photo made of them, and the synthetic shapes, which hold no face."""

from __future__ import annotations

import hashlib
import threading
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageOps

from clipdesk.faces import (
    DIM,
    SAME_PERSON,
    SCORE_THRESHOLD,
    FaceEngine,
    dlib_resnet,
    sface,
    similarity,
)
from clipdesk.faces import engine as engine_module
from clipdesk.faces.model_files import (
    DLIB_QUANTISED_FILE,
    EMBEDDER_FILE,
    cpu_session,
    model_bytes,
)
from clipdesk.imaging import decode
from clipdesk.testing.face_edits import jpeg
from clipdesk.testing.synthetic import write_folder
from tests.support.faces import FACE_BOX, HEAD, PEOPLE, group_photo, portrait

CHIP = sface.CHIP  # the SFace graphs' tests (benchmarks/faces.py's baseline)
DLIB_DATA = Path(__file__).resolve().parents[1] / "data" / "faces" / "dlib"


@pytest.fixture(scope="module")
def engine() -> FaceEngine:
    return FaceEngine()


@pytest.fixture(scope="module")
def originals(engine) -> dict:
    """Each portrait's one face, found once for the module."""
    found = {}
    for person in PEOPLE:
        faces = engine.find(portrait(person))
        assert len(faces) == 1, person
        found[person] = faces[0]
    return found


EDITS = {
    "crop": lambda im: im.crop(
        (im.width // 7, im.height // 30, im.width * 6 // 7, im.height * 3 // 4)
    ),
    "half size": lambda im: im.resize((im.width // 2, im.height // 2), Image.Resampling.LANCZOS),
    "mirror": ImageOps.mirror,
    "brightness +30%": lambda im: ImageEnhance.Brightness(im).enhance(1.3),
    "jpeg quality 40": lambda im: jpeg(im, 40),
    "rotated 8 degrees": lambda im: im.rotate(8, resample=Image.Resampling.BILINEAR),
}


def test_the_model_files_are_the_ones_sources_md_records():
    folder = resources.files("clipdesk.models") / "faces"
    sources = (folder / "SOURCES.md").read_text()
    models = [p for p in folder.iterdir() if p.suffix in (".onnx", ".npy")]
    # YuNet; dlib's ResNet, its int8 graph and its mean; SFace and its int8 graph (before)
    assert len(models) == 6
    for model in models:
        data = model.read_bytes()
        row = f"| `{model.name}` | {len(data):,} | `{hashlib.sha256(data).hexdigest()}` |"
        assert row in sources, model.name
    assert {"LICENSE-yunet", "LICENSE-sface", "LICENSE-dlib"} <= {p.name for p in folder.iterdir()}


def test_the_astronaut_has_one_face_where_her_face_is(originals):
    face = originals["astronaut"]
    x, y, w, h = face.box
    assert 0.30 < x < 0.40 and 0.08 < y < 0.18  # her face, left of centre, near the top
    assert 0.12 < w < 0.25 and 0.15 < h < 0.30
    assert face.score > 0.91
    assert len(face.landmarks) == 5
    (rex, rey), (lex, ley), (nx, ny), (rmx, rmy), (lmx, lmy) = face.landmarks
    assert rex < nx < lex and rmx < lmx  # eyes and mouth corners either side of the nose
    assert rey < ny < rmy and ley < ny < lmy
    assert all(x <= px <= x + w and y <= py <= y + h for px, py in face.landmarks)


def test_grace_hopper_has_one_face(originals):
    face = originals["grace_hopper"]
    assert face.score >= SCORE_THRESHOLD
    x, y, w, h = face.box
    assert 0.3 < x + w / 2 < 0.7 and 0.2 < y + h / 2 < 0.5


def test_vectors_are_unit_float32(originals):
    for face in originals.values():
        assert face.vector.dtype == np.float32 and face.vector.shape == (DIM,)
        assert abs(float(np.linalg.norm(face.vector)) - 1.0) < 1e-5


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("edit", list(EDITS))
def test_an_edited_copy_is_the_same_person(engine, originals, person, edit):
    faces = engine.find(EDITS[edit](portrait(person)))
    assert len(faces) == 1
    assert similarity(faces[0].vector, originals[person].vector) >= SAME_PERSON


@pytest.mark.parametrize("person", PEOPLE)
def test_a_close_up_that_fills_the_frame_is_found(engine, originals, person):
    """A face over 500 px, too large for the detector's first look, is found by its second."""
    image = portrait(person)
    x, y, w, h = FACE_BOX[person]
    box = (x - 0.1 * w, y - 0.1 * h, x + 1.1 * w, y + 1.1 * h)
    box = tuple(round(v * s) for v, s in zip(box, image.size * 2, strict=True))
    close_up = image.crop(box).resize((640, 640), Image.Resampling.BICUBIC)
    (face,) = engine.find(close_up)
    assert face.box[2] > 0.6 and face.box[3] > 0.75
    assert similarity(face.vector, originals[person].vector) >= SAME_PERSON


def test_two_people_are_not_the_same_person(originals):
    a, b = originals["astronaut"].vector, originals["grace_hopper"].vector
    assert similarity(a, b) < SAME_PERSON
    assert similarity(a, a) == pytest.approx(1.0, abs=1e-5)


def test_every_face_of_a_group_photo_is_found_and_known(engine, originals):
    photo, pasted = group_photo()
    faces = engine.find(photo)
    assert len(faces) == len(pasted)
    sides = [min(f.box[2] * photo.width, f.box[3] * photo.height) for f in faces]
    assert sides == sorted(sides, reverse=True)  # largest first
    for p in pasted:
        x, y, w, h = p.face
        cx, cy = (x + w / 2) / photo.width, (y + h / 2) / photo.height
        (face,) = [f for f in faces if _contains(f.box, cx, cy)]
        best = max(PEOPLE, key=lambda person: similarity(face.vector, originals[person].vector))
        assert best == p.person
        assert similarity(face.vector, originals[p.person].vector) >= SAME_PERSON


def test_max_faces_keeps_the_largest(engine):
    photo, _ = group_photo()
    every = engine.find(photo)
    two = engine.find(photo, max_faces=2)
    assert [f.box for f in two] == [f.box for f in every[:2]]
    assert engine.find(photo, max_faces=0) == []


def test_photos_without_faces_have_none(engine, tmp_path):
    write_folder(tmp_path, 36, seed=7)
    photos = sorted(tmp_path.glob("*.jpg"))
    assert len(photos) == 36
    found = {p.name: len(engine.find(decode(p, min_side=256).image)) for p in photos}
    assert not any(found.values()), {name: n for name, n in found.items() if n}


def test_a_drawn_box_gives_the_face_vector(engine, originals):
    image, face = portrait("astronaut"), originals["astronaut"]
    vector = engine.embed_box(image, face.box)
    assert vector.dtype == np.float32 and vector.shape == (DIM,)
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5
    assert similarity(vector, face.vector) > 0.9
    x, y, w, h = face.box
    for off in [(x + 0.03, y + 0.02, w, h), (x - 0.04, y - 0.03, w * 1.3, h * 1.3)]:
        assert similarity(engine.embed_box(image, off), face.vector) >= SAME_PERSON


def test_a_drawn_box_where_no_face_is_found_is_aligned_on_the_box(engine, originals, monkeypatch):
    """The fallback (a profile, a blurred face): the box alone places the crop, which for a
    frontal face boxed as the detector boxes it still gives that person's vector."""
    monkeypatch.setattr(engine, "_landmarks_in_box", lambda image, box: None)
    for person in PEOPLE:
        face = originals[person]
        vector = engine.embed_box(portrait(person), face.box)
        assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5
        assert similarity(vector, face.vector) > 0.9


def test_a_face_cut_by_the_edge_is_clipped_to_the_image(engine):
    image = portrait("astronaut").crop((200, 0, 512, 512))  # her face's left part cut off
    (face,) = engine.find(image)
    x, y, w, h = face.box
    assert x == 0.0
    assert 0.0 <= y and w > 0 and h > 0 and x + w <= 1.0 and y + h <= 1.0
    assert all(0.0 <= v <= 1.0 for point in face.landmarks for v in point)


def test_two_threads_find_the_same_faces(engine):
    photo, _ = group_photo()
    expected = [f.box for f in engine.find(photo)]
    results: list = []

    def work():
        results.extend([f.box for f in engine.find(photo)] for _ in range(3))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 6


SMALL_FACE = 144
"""A face's width (px) in a 6000x4000 original that the indexer's decode (750x500) makes
18 px: under the 240 px the first look alone finds (docs/faces.md)."""


def _large_photo_with_a_small_face(folder, person: str):
    """A 24 MP JPEG: a smooth photo-like background with ``person``'s head and shoulders
    pasted so that the face is SMALL_FACE px wide; returns its path and the face's centre
    (fractions)."""
    rng = np.random.default_rng(27)
    coarse = rng.integers(40, 200, (4, 6, 3), dtype=np.uint8)
    canvas = Image.fromarray(coarse).resize((6000, 4000), Image.Resampling.BICUBIC)
    full = portrait(person)
    x0, y0, x1, y1 = HEAD[person]
    fx, fy, fw, fh = FACE_BOX[person]
    scale = SMALL_FACE / (fw * full.width)
    head = full.crop(HEAD[person]).resize(
        (round((x1 - x0) * scale), round((y1 - y0) * scale)), Image.Resampling.LANCZOS
    )
    left, top = 3700, 1500
    canvas.paste(head, (left, top))
    cx = left + ((fx + fw / 2) * full.width - x0) * scale
    cy = top + ((fy + fh / 2) * full.height - y0) * scale
    path = folder / f"{person}.jpg"
    canvas.save(path, quality=90)
    return path, (cx / 6000, cy / 4000)


@pytest.mark.parametrize("person", PEOPLE)
def test_a_small_face_in_a_large_photo_is_found_by_a_second_look(
    engine, originals, person, tmp_path, monkeypatch
):
    """A 144 px face in a 24 MP photo is 18 px in the decode the face step looks at: the
    first look scores it under SCORE_THRESHOLD (the engine before the second look found
    nothing here); looked at again, enlarged, it is found, and is that person."""
    path, (cx, cy) = _large_photo_with_a_small_face(tmp_path, person)
    image = decode(path, min_side=256).image
    assert image.size == (750, 500)
    (face,) = engine.find(image)
    assert _contains(face.box, cx, cy)
    assert 12 / 750 < face.box[2] < 26 / 750
    assert face.score >= SCORE_THRESHOLD
    assert similarity(face.vector, originals[person].vector) >= SAME_PERSON
    monkeypatch.setattr(engine_module, "CANDIDATE_SCORE", SCORE_THRESHOLD)  # no second look
    assert engine.find(image) == []


def _group_crops(engine) -> np.ndarray:
    photo, _ = group_photo()
    _, _, points = engine._detect(photo)
    crops = np.stack([CHIP.crop(photo, CHIP.landmark_transform(p)) for p in points])
    assert len(crops) == 6
    return crops


def test_the_rewritten_embedder_gives_the_shipped_files_vectors_one_by_one_or_batched(engine):
    """SFace in float as rewritten at load time (sface.py) against the file as shipped, on
    the group photo's six faces: the same vectors; and all six in one run (a symbolic
    batch) give what one at a time gives."""
    crops = _group_crops(engine)
    rewritten = sface.float_session(1)
    one_by_one = sface.embed(rewritten, crops)
    shipped = sface.embed(cpu_session(model_bytes(EMBEDDER_FILE), 1), crops)
    assert (one_by_one * shipped).sum(1).min() > 0.9999
    x = np.ascontiguousarray(crops.transpose(0, 3, 1, 2), dtype=np.float32)
    batched = rewritten.run(None, {rewritten.get_inputs()[0].name: x})[0]
    batched /= np.linalg.norm(batched, axis=1, keepdims=True)
    assert (one_by_one * batched).sum(1).min() > 0.999


@pytest.mark.parametrize("person", PEOPLE)
def test_the_converted_resnet_gives_dlibs_own_descriptor(person):
    """dlib's network as ONNX (packaging/dlib_face/) on the chip dlib itself cut from the
    portrait: the descriptor dlib 20.0.1 computed for it (tests/data/faces/dlib/), to float
    rounding."""
    chip = np.asarray(Image.open(DLIB_DATA / f"{person}_chip.png").convert("RGB"))
    want = np.load(DLIB_DATA / f"{person}_descriptor.npy")
    session = dlib_resnet.float_session(1)
    x = np.ascontiguousarray(chip[None].transpose(0, 3, 1, 2), dtype=np.float32)
    got = session.run(None, {session.get_inputs()[0].name: x})[0][0]
    assert np.abs(got - want).max() < 1e-5


def test_the_int8_embedder_the_engine_runs_stays_close_to_the_float_one(engine, originals):
    """The engine embeds with the shipped int8 graph: each of the group photo's six faces
    within a cosine of 0.01 of its float vector, and the two people as far apart in int8
    as in float."""
    photo, _ = group_photo()
    _, _, points = engine._detect(photo)
    chip = dlib_resnet.CHIP
    crops = np.stack([chip.crop(photo, chip.landmark_transform(p)) for p in points])
    assert len(crops) == 6
    int8 = dlib_resnet.embed(cpu_session(model_bytes(DLIB_QUANTISED_FILE), 1), crops)
    assert np.allclose(int8, dlib_resnet.embed(engine._embedder_session(), crops))
    floats = dlib_resnet.embed(dlib_resnet.float_session(1), crops)
    assert (int8 * floats).sum(1).min() > 0.99
    assert not np.allclose(int8, floats, atol=1e-4)  # it is another graph
    images = [portrait(person) for person in PEOPLE]
    found = [engine._detect(im)[2][0] for im in images]
    faces = np.stack(
        [chip.crop(im, chip.landmark_transform(p)) for im, p in zip(images, found, strict=True)]
    )
    for session in (dlib_resnet.float_session(1), engine._embedder_session()):
        a, b = dlib_resnet.embed(session, faces)
        assert similarity(a, b) < SAME_PERSON - 0.2


def _contains(box: tuple[float, float, float, float], x: float, y: float) -> bool:
    return box[0] <= x <= box[0] + box[2] and box[1] <= y <= box[1] + box[3]
