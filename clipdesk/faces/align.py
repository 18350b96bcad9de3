"""A face cropped upright to an embedder's square input, as OpenCV's
``FaceRecognizerSF.alignCrop`` and dlib's ``get_face_chip`` crop it: the similarity transform
(rotation, one scale, translation; no shear, no mirror) that puts the five landmarks nearest,
in least squares, to the five points of the embedder's template. Each embedder says where
its template's points are (``Chip``); ``ARCFACE`` is SFace's."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class Chip:
    """The aligned crop an embedder takes."""

    size: int
    """Its side (px)."""
    template: np.ndarray
    """(5, 2) float64: where the five landmarks go (px of the crop): the subject's right eye,
    left eye, nose tip, right and left mouth corners."""
    box_in_template: tuple[float, float, float]
    """Where a YuNet box lands in the crop once its landmarks are aligned: centre x, centre y
    and side (the mean of width and height); what ``box_transform`` maps a box to when no
    landmarks are found in it."""

    def landmark_transform(self, points: np.ndarray) -> np.ndarray:
        """The 2x3 similarity taking ``points`` (5, 2), in image pixels, to the template
        (Umeyama's least squares, as ``skimage.transform.SimilarityTransform.estimate``)."""
        src = np.asarray(points, np.float64)
        mu_s, mu_d = src.mean(0), self.template.mean(0)
        s0, d0 = src - mu_s, self.template - mu_d
        u, sv, vt = np.linalg.svd(d0.T @ s0 / len(src))
        d = np.ones(2)
        if np.linalg.det(u) * np.linalg.det(vt) < 0:
            d[1] = -1
        rotation = u @ np.diag(d) @ vt
        scale = (sv * d).sum() / ((s0**2).sum() / len(src))
        t = mu_d - scale * rotation @ mu_s
        return np.hstack([scale * rotation, t[:, None]])

    def box_transform(self, box: tuple[float, float, float, float]) -> np.ndarray:
        """The 2x3 transform (upright: scale and translation) taking a face box, x, y, w, h
        in image pixels, to where a detector's box lands in the crop (``box_in_template``);
        the box's side is the mean of its width and height."""
        x, y, w, h = box
        cx, cy, side = self.box_in_template
        scale = side / max((w + h) / 2, 1e-6)
        return np.array(
            [[scale, 0.0, cx - scale * (x + w / 2)], [0.0, scale, cy - scale * (y + h / 2)]]
        )

    def crop(self, image: Image.Image, transform: np.ndarray) -> np.ndarray:
        """The size x size RGB crop (uint8 array) that ``transform`` (image -> crop) cuts from
        ``image``, bilinear as OpenCV's warpAffine; only the crop's pixels are computed."""
        inverse = np.linalg.inv(np.vstack([transform, [0.0, 0.0, 1.0]]))  # PIL maps out -> in
        warped = image.transform(
            (self.size, self.size),
            Image.Transform.AFFINE,
            data=tuple(inverse[:2].ravel()),
            resample=Image.Resampling.BILINEAR,
        )
        return np.asarray(warped)


ARCFACE = Chip(
    size=112,
    template=np.array(
        [
            [38.2946, 51.6963],  # the subject's right eye
            [73.5318, 51.5014],  # left eye
            [56.0252, 71.7366],  # nose tip
            [41.5493, 92.3655],  # right mouth corner
            [70.7299, 92.2041],  # left mouth corner
        ],
        np.float64,
    ),
    box_in_template=(56.0, 69.0, 89.0),
)
"""SFace's 112x112 input with the ArcFace template. ``box_in_template`` was measured on the two
test faces and their mirror images (tests/data/faces/), all within 3 px of it."""
