"""The decodes kept for the face step (pipeline/face_inputs.py): taken once, by the same
content only, bounded in bytes, and freed when faces are turned off."""

from __future__ import annotations

from PIL import Image

from clipdesk.pipeline.face_inputs import FaceInputs


def _image(side: int = 10) -> Image.Image:
    return Image.new("RGB", (side, side), "red")


def test_an_image_is_taken_once_and_only_for_the_same_content():
    kept = FaceInputs()
    assert kept.put(1, "h1", _image()) and kept.put(2, "h2", _image())
    assert kept.take(1, "h1").size == (10, 10)
    assert kept.take(1, "h1") is None  # taken already
    assert kept.take(2, "other") is None  # the file changed since its decode
    assert len(kept) == 0 and kept.bytes == 0
    assert (kept.hits, kept.misses) == (1, 2)


def test_the_bound_refuses_new_images_rather_than_growing():
    kept = FaceInputs(max_bytes=2 * 10 * 10 * 3)
    assert kept.put(1, "a", _image()) and kept.put(2, "b", _image())
    assert not kept.put(3, "c", _image())
    assert kept.bytes == 600 and not kept.put(4, "d", None)


def test_turning_faces_off_frees_what_was_kept(tmp_path):
    from clipdesk.ops import people as people_ops
    from clipdesk.pipeline.library import Library

    lib = Library(tmp_path / "home", "test")
    try:
        assert lib.face_inputs is not None
        lib.face_inputs.put(1, "h", _image(100))
        people_ops.switch(lib, False)
        assert lib.face_inputs is None and lib.kept_for_faces.bytes == 0
        people_ops.switch(lib, True)
        assert lib.face_inputs is not None and len(lib.face_inputs) == 0
    finally:
        lib.close()
