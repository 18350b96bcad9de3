"""Faces in a photo and a vector for each: YuNet finds them (a box, a score and five
landmarks), each is cropped upright to the embedder's chip (align.py) and the embedder,
dlib's face ResNet in int8 (dlib_resnet.py), gives its 128-d identity vector. Pure: an
image in, faces out; no catalog, no Qt.

Coordinates are fractions 0..1 of the image as given (top-left origin), so they hold for
any size the same photo is shown or decoded at. The detector sees the image at a long side
of at most DETECT_SIDE; the crops are cut from the image as given, at its full resolution.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image

from clipdesk.faces import dlib_resnet, yunet

embedder = dlib_resnet
"""The module that embeds aligned faces: its ``CHIP`` (align.Chip), ``embedder_session`` and
``embed``."""

DIM = embedder.DIM
VECTORS = embedder.VECTORS
"""Which embedder made a vector: vectors of different ones do not compare (the catalog keeps
it, people/faces_db.use_vectors_of)."""
ENGINE_NAME = "yunet-2023mar+dlib-resnet-v1-int8"
"""The detector and the embedder this engine runs, by name."""

DETECT_SIDE = 768
"""The long side (px) the detector looks at; larger images are scaled down to it, smaller
ones are searched as they are (YuNet finds faces of about 10 to 300 px at its input: a
smaller image holds no face too small to find that upscaling would rescue). 768 rather than
the 640 YuNet is trained at: the indexer's decode of a 3:2 24 MP JPEG (750x500) is then
searched unscaled, for the same CPU (the resize to 640 costs what the smaller search saves)
and with its faces larger, which is where faces are lost: at the small end
(benchmarks/README.md, faces.py)."""

COARSE_MIN_SIDE = 240
"""A second look, at half the first one's size, finds the faces too large for the first
(YuNet's scores fall over about 300 px: a close-up portrait); it costs about a quarter of
the first, and is skipped where the half would be under this long side (px), as a face
there fits the first look."""

CANDIDATE_SCORE = 0.6
"""The least first-look score of a face looked at again (``_relook``): faces of 10 to 25 px
at the detector score 0.6 to 0.9 there (80 to 200 px in a 24 MP original decoded to
750x500), and none of the faceless test photos (36 shapes, eight photo-like 24 MP JPEGs)
has a box over 0.43, so on a photo with no face the rule costs nothing (docs/faces.md)."""

AGREE_SCORE = 0.85
"""A candidate the first look scores this or more is also kept where the second look scores
it this or more: two looks that nearly agree on a face. A frontal face 81 px wide in a
PASCAL VOC group photo (dlib's examples/faces) scores 0.8999 in one and 0.8993 in the other
and was missed; the dog in dlib's dogs.jpg scores 0.866 at first and nothing at all again
(docs/faces.md)."""

RELOOK_SIDE = 160
"""The side (px) of the square a candidate is looked at again in, its face scaled to
RELOOK_FACE px: one fixed size, so ONNX Runtime plans it once (a new input shape costs a
few ms of planning each time), and a look costs 1.3-1.6 ms."""

RELOOK_FACE = 64
"""The candidate face's side in the second look: where YuNet scores the small test faces
highest (0.91-0.93 for faces of 10-25 px in the image given, against 0.87-0.92 at 32 px)."""

SCORE_THRESHOLD = 0.9
"""The least detector confidence kept: OpenCV's FaceDetectorYN default, and the one
opencv_zoo's YuNet demo uses. Small faces score under it (10-25 px at the detector) and
are looked at again, enlarged (CANDIDATE_SCORE), where they score over it; where YuNet's
false faces lie (textures, statues, animals) is not measured on real photos yet, so the
threshold stays at OpenCV's value, for both looks."""

BOX_SCORE_THRESHOLD = 0.5
"""The least confidence for landmarks inside a box the user drew around a face: the user
says there is a face, so a weaker find beats the box-only crop."""

BOX_SIDES = (64, 256)
"""The range of sides (px) a drawn box is scaled into for embed_box's look, inside the sizes
YuNet finds well; a box already in it is looked at unscaled, as find looked at it."""

MIN_FACE_PX = 10
"""The smallest face side kept, in pixels of the image as given: YuNet's smallest (about
10 px at its input). In the original photo it is this times the decode's reduction: a
24 MP JPEG decoded at min_side 256 (1/8 by DCT scaling, to 750x500) could keep faces from
80 px; the first look finds every face from about 30 px decoded (240 px in the original),
the second look at candidates (CANDIDATE_SCORE) every one from about 20 px (160 px in the
original) and some from 10 px (docs/faces.md, benchmarks/faces.py)."""

SAME_PERSON = 0.53
"""Cosine similarity at or above which two vectors are taken for the same person. dlib's own
line (a Euclidean distance of 0.6) does not carry over to its centred vectors
(dlib_resnet.embed), so this one is measured: on dlib's examples/johns (5 people, 11 photos
each, through this engine) the same person's lowest cosine is 0.672 and two people's highest
0.492; the line sits a fifth of the way up that gap, where OpenCV's line for SFace (0.363)
sat in SFace's gap on the same photos (0.308 to 0.584; docs/faces.md)."""


@dataclass(frozen=True)
class FoundFace:
    """A face found in an image, with its identity vector."""

    box: tuple[float, float, float, float]
    """x, y, w, h as fractions 0..1 of the image as given (top-left origin), clipped to it."""
    score: float
    """The detector's confidence, 0..1."""
    landmarks: tuple[tuple[float, float], ...]
    """Five points, fractions of the image like ``box`` (clipped): the subject's right eye,
    left eye, nose tip, right and left mouth corners."""
    vector: np.ndarray
    """float32 (DIM,), L2-normalised: compare with ``similarity``."""


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two face vectors; SAME_PERSON and above: the same person."""
    a = np.asarray(a, np.float32)
    b = np.asarray(b, np.float32)
    return float(a @ b / max(float(np.linalg.norm(a) * np.linalg.norm(b)), 1e-12))


class FaceEngine:
    """Finds and embeds faces. The models load on first use; one engine serves several
    threads at once (ONNX Runtime's sessions run concurrently, and nothing else is shared
    but the loading, which is locked)."""

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads
        self._lock = threading.Lock()
        self._detector = None
        self._embedder = None

    def find(
        self,
        image: Image.Image,
        max_faces: int = 20,
        known: Callable[[tuple[float, float, float, float]], bool] | None = None,
    ) -> list[FoundFace]:
        """The faces in ``image`` (RGB, upright, as clipdesk.imaging.decode returns it)
        scoring SCORE_THRESHOLD or more and at least MIN_FACE_PX on a side: the largest
        ``max_faces``, largest first, each with its vector. ``known``: says of a box (x, y,
        w, h, fractions) whether the caller has that face already; such a face is left out
        before it is embedded (embedding is most of a face's cost)."""
        image = _rgb(image)
        boxes, scores, points = self._detect(image)
        sides = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
        order = [i for i in np.argsort(-sides, kind="stable") if sides[i] >= MIN_FACE_PX]
        order = order[: max(max_faces, 0)]
        faces = [(i, _found(image.size, boxes[i], float(scores[i]), points[i])) for i in order]
        if known is not None:
            faces = [(i, f) for i, f in faces if not known(f.box)]
        if not faces:
            return []
        chip = embedder.CHIP
        crops = np.stack([chip.crop(image, chip.landmark_transform(points[i])) for i, _ in faces])
        vectors = embedder.embed(self._embedder_session(), crops)
        return [replace(f, vector=v) for (_, f), v in zip(faces, vectors, strict=True)]

    def embed_box(self, image: Image.Image, box: tuple[float, float, float, float]) -> np.ndarray:
        """The vector of the face in a box the user drew (x, y, w, h, fractions of
        ``image``). The detector looks again in the box and a margin around it (the box
        scaled into BOX_SIDES), and the face whose centre lies in the box and overlaps it
        most gives the landmarks the crop is aligned on. With none (a profile, a face
        too blurred to find), the box alone places the crop: scaled and centred where a
        detector's box would sit in the template, without rotation, which matches a
        frontal, upright face whose box is drawn about as the detector draws it."""
        image = _rgb(image)
        width, height = image.size
        x, y, w, h = (box[0] * width, box[1] * height, box[2] * width, box[3] * height)
        if w < 1 or h < 1:
            raise ValueError(f"the box {box} is empty in a {width}x{height} image")
        points = self._landmarks_in_box(image, (x, y, w, h))
        chip = embedder.CHIP
        if points is None:
            transform = chip.box_transform((x, y, w, h))
        else:
            transform = chip.landmark_transform(points)
        return embedder.embed(self._embedder_session(), chip.crop(image, transform)[None])[0]

    # -- the steps ---------------------------------------------------------------------

    def _detect(self, image: Image.Image) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Boxes (x1, y1, x2, y2), scores and landmarks in pixels of ``image``: a look at a
        long side of at most DETECT_SIDE, and one at half that size that adds the faces too
        large for the first (its landmarks are coarser, so where both see a face the first
        one's are kept)."""
        small = _scaled_down(image, DETECT_SIDE)
        boxes, scores, points = self._look(small, CANDIDATE_SCORE, image.size)
        boxes, scores, points = self._confirm_small(image, boxes, scores, points)
        if max(small.size) < 2 * COARSE_MIN_SIDE:
            return boxes, scores, points
        more_boxes, more_scores, more_points = self._look(
            small.reduce(2), SCORE_THRESHOLD, image.size
        )
        new = [i for i, box in enumerate(more_boxes) if _max_iou(box, boxes) <= yunet.NMS_IOU]
        if not new:
            return boxes, scores, points
        return (
            np.concatenate([boxes, more_boxes[new]]),
            np.concatenate([scores, more_scores[new]]),
            np.concatenate([points, more_points[new]]),
        )

    def _confirm_small(
        self, image: Image.Image, boxes: np.ndarray, scores: np.ndarray, points: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The first look's faces scoring SCORE_THRESHOLD, and those of its candidates
        (CANDIDATE_SCORE and over) that a second look, enlarged, finds at SCORE_THRESHOLD
        (or at AGREE_SCORE, where the first look scored that too): a small face scores low
        where the detector sees it at 10-25 px, higher when enlarged to RELOOK_FACE px,
        where a texture that looked a little like a face does not (docs/faces.md)."""
        sure = scores >= SCORE_THRESHOLD
        if sure.all():
            return boxes, scores, points
        keep = [(boxes[i], scores[i], points[i]) for i in np.flatnonzero(sure)]
        for i in np.flatnonzero(~sure):
            least = AGREE_SCORE if scores[i] >= AGREE_SCORE else SCORE_THRESHOLD
            found = self._relook(image, boxes[i], least)
            if found is not None:
                keep.append(found)
        if not keep:
            return boxes[:0], scores[:0], points[:0]
        boxes = np.stack([k[0] for k in keep]).astype(np.float32)
        scores = np.array([k[1] for k in keep], np.float32)
        points = np.stack([k[2] for k in keep]).astype(np.float32)
        once = yunet.nms(boxes, scores, yunet.NMS_IOU)  # two candidates, one face: kept once
        return boxes[once], scores[once], points[once]

    def _relook(
        self, image: Image.Image, box: np.ndarray, least: float
    ) -> tuple[np.ndarray, float, np.ndarray] | None:
        """The face the detector finds at ``least`` or more in a RELOOK_SIDE square around
        ``box`` (pixels of ``image``), the face enlarged to RELOOK_FACE px: its box, score
        and landmarks in pixels of ``image``, or None if none has its centre in ``box``.
        Of several, the one nearest the box's centre."""
        side = max(float(box[2] - box[0]), float(box[3] - box[1]), 1.0)
        span = max(round(side * RELOOK_SIDE / RELOOK_FACE), 1)  # the square, in ``image`` px
        left = round(float(box[0] + box[2]) / 2 - span / 2)
        top = round(float(box[1] + box[3]) / 2 - span / 2)
        square = image.crop((left, top, left + span, top + span))  # black beyond the edges
        square = square.resize((RELOOK_SIDE, RELOOK_SIDE), Image.Resampling.BICUBIC)
        found = yunet.detect(self._detector_session(), np.asarray(square), least)
        if not len(found):
            return None
        scale = span / RELOOK_SIDE
        offset = np.array([left, top], np.float32)
        centres = (found.boxes[:, :2] + found.boxes[:, 2:]) / 2 * scale + offset
        best = int(np.argmin(np.abs(centres - (box[:2] + box[2:]) / 2).sum(1)))
        (cx, cy), (x1, y1, x2, y2) = centres[best], box
        if not (x1 <= cx <= x2 and y1 <= cy <= y2):
            return None  # a neighbour, found (or not) on its own
        return (
            found.boxes[best] * scale + np.tile(offset, 2),
            float(found.scores[best]),
            found.landmarks[best] * scale + offset,
        )

    def _look(
        self, searched: Image.Image, min_score: float, size: tuple[int, int]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One detector pass over ``searched``, a scaled copy of an image of ``size``: the
        faces in that image's pixels."""
        found = yunet.detect(self._detector_session(), np.asarray(searched), min_score)
        sx, sy = size[0] / searched.width, size[1] / searched.height
        boxes = found.boxes * np.array([sx, sy, sx, sy], np.float32)
        points = found.landmarks * np.array([sx, sy], np.float32)
        return boxes, found.scores, points

    def _landmarks_in_box(
        self, image: Image.Image, box: tuple[float, float, float, float]
    ) -> np.ndarray | None:
        """The five landmarks (pixels of ``image``) of the face the detector finds in the
        box, or None."""
        x, y, w, h = box
        margin = 0.5 * max(w, h)
        left, top = max(int(x - margin), 0), max(int(y - margin), 0)
        right = min(int(np.ceil(x + w + margin)), image.width)
        bottom = min(int(np.ceil(y + h + margin)), image.height)
        if right - left < 1 or bottom - top < 1:
            return None
        region = image.crop((left, top, right, bottom))
        side = max((w + h) / 2, 1.0)
        scale = min(
            max(1.0, BOX_SIDES[0] / side), BOX_SIDES[1] / side, DETECT_SIDE / max(region.size)
        )
        size = (max(round(region.width * scale), 1), max(round(region.height * scale), 1))
        if size != region.size:
            region = region.resize(size, Image.Resampling.BILINEAR)
        found = yunet.detect(self._detector_session(), np.asarray(region), BOX_SCORE_THRESHOLD)
        sx, sy = (right - left) / region.width, (bottom - top) / region.height
        best, best_iou = None, 0.0
        for face, points in zip(found.boxes, found.landmarks, strict=True):
            x1, y1 = left + face[0] * sx, top + face[1] * sy
            x2, y2 = left + face[2] * sx, top + face[3] * sy
            cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
            if not (x <= cx <= x + w and y <= cy <= y + h):
                continue
            iou = float(_iou(np.array([x1, y1, x2, y2]), np.array([x, y, x + w, y + h]))[0])
            if iou > best_iou:
                best, best_iou = points * np.array([sx, sy]) + np.array([left, top]), iou
        return best

    def _detector_session(self):
        if self._detector is None:
            with self._lock:
                if self._detector is None:
                    self._detector = yunet.detector_session(self.threads)
        return self._detector

    def _embedder_session(self):
        if self._embedder is None:
            with self._lock:
                if self._embedder is None:
                    self._embedder = embedder.embedder_session(self.threads)
        return self._embedder


def _scaled_down(image: Image.Image, side: int) -> Image.Image:
    """``image`` scaled down to a long side of ``side`` (bilinear), or itself if no larger."""
    scale = side / max(image.size)
    if scale >= 1.0:
        return image
    size = (max(round(image.width * scale), 1), max(round(image.height * scale), 1))
    return image.resize(size, Image.Resampling.BILINEAR)


def _rgb(image: Image.Image) -> Image.Image:
    return image if image.mode == "RGB" else image.convert("RGB")


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of box ``a`` with each of boxes ``b`` (x1, y1, x2, y2)."""
    b = np.asarray(b, np.float64).reshape(-1, 4)
    w = np.minimum(a[2], b[:, 2]) - np.maximum(a[0], b[:, 0])
    h = np.minimum(a[3], b[:, 3]) - np.maximum(a[1], b[:, 1])
    inter = np.clip(w, 0, None) * np.clip(h, 0, None)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) - inter
    return inter / np.maximum(union, 1e-9)


def _max_iou(box: np.ndarray, boxes: np.ndarray) -> float:
    return float(_iou(box, boxes).max()) if len(boxes) else 0.0


def _found(
    size: tuple[int, int],
    box: np.ndarray,
    score: float,
    points: np.ndarray,
    vector: np.ndarray | None = None,
) -> FoundFace:
    """A FoundFace in fractions of an image of ``size``, box and landmarks clipped to it."""
    width, height = size
    x1, x2 = (float(np.clip(v / width, 0.0, 1.0)) for v in (box[0], box[2]))
    y1, y2 = (float(np.clip(v / height, 0.0, 1.0)) for v in (box[1], box[3]))
    marks = tuple(
        (float(np.clip(px / width, 0.0, 1.0)), float(np.clip(py / height, 0.0, 1.0)))
        for px, py in points
    )
    return FoundFace((x1, y1, x2 - x1, y2 - y1), min(score, 1.0), marks, vector)
