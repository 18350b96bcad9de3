"""YuNet (opencv_zoo face_detection_yunet_2023mar) on ONNX Runtime: faces with five
landmarks each, decoded as OpenCV's ``FaceDetectorYN`` decodes them, without OpenCV.

The graph declares a fixed 1x3x640x640 input, but its reshapes use -1, so its height and
width are made symbolic when it loads: any size that is a multiple of 32 runs, and an
image is padded (bottom and right, with zeros) rather than letterboxed to a square.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clipdesk.faces.model_files import DETECTOR_FILE, cpu_session, model_bytes

STRIDES = (8, 16, 32)
NMS_IOU = 0.3  # OpenCV's FaceDetectorYN default


@dataclass(frozen=True)
class Detections:
    """Faces in pixels of the array searched, best score first."""

    boxes: np.ndarray  # (n, 4) float32: x1, y1, x2, y2
    scores: np.ndarray  # (n,) float32, 0..1
    landmarks: np.ndarray  # (n, 5, 2) float32: the subject's right eye, left eye, nose
    # tip, right and left mouth corners (image left to right for a frontal face)

    def __len__(self) -> int:
        return len(self.scores)


def detector_session(threads: int):
    """A session over YuNet with its input height and width made symbolic."""
    import onnx

    model = onnx.load_from_string(model_bytes(DETECTOR_FILE))
    dims = model.graph.input[0].type.tensor_type.shape.dim
    dims[2].dim_param, dims[3].dim_param = "H", "W"
    for output in model.graph.output:
        for dim in output.type.tensor_type.shape.dim:
            dim.dim_param = "n"
    return cpu_session(model.SerializeToString(), threads)


def detect(session, rgb: np.ndarray, min_score: float) -> Detections:
    """The faces in ``rgb`` (h, w, 3 uint8) scoring at least ``min_score``, after
    non-maximum suppression."""
    h, w = rgb.shape[:2]
    ph, pw = -(-h // 32) * 32, -(-w // 32) * 32
    x = np.zeros((1, 3, ph, pw), np.float32)
    x[0, :, :h, :w] = rgb[:, :, ::-1].transpose(2, 0, 1)  # BGR, 0..255, no normalisation
    names = [o.name for o in session.get_outputs()]
    out = dict(zip(names, session.run(None, {session.get_inputs()[0].name: x}), strict=True))
    boxes, scores, marks = [], [], []
    for stride in STRIDES:
        cols = pw // stride
        score = np.sqrt(
            np.clip(out[f"cls_{stride}"][0, :, 0], 0, 1)
            * np.clip(out[f"obj_{stride}"][0, :, 0], 0, 1)
        )
        idx = np.flatnonzero(score >= min_score)
        if not idx.size:
            continue
        row, col = (idx // cols).astype(np.float32), (idx % cols).astype(np.float32)
        b = out[f"bbox_{stride}"][0, idx]
        k = out[f"kps_{stride}"][0, idx]
        cx, cy = (col + b[:, 0]) * stride, (row + b[:, 1]) * stride
        bw, bh = np.exp(b[:, 2]) * stride, np.exp(b[:, 3]) * stride
        boxes.append(np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], 1))
        points = np.empty((idx.size, 5, 2), np.float32)
        points[:, :, 0] = (k[:, 0::2] + col[:, None]) * stride
        points[:, :, 1] = (k[:, 1::2] + row[:, None]) * stride
        marks.append(points)
        scores.append(score[idx])
    if not boxes:
        return Detections(
            np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros((0, 5, 2), np.float32)
        )
    all_boxes = np.concatenate(boxes).astype(np.float32)
    all_scores = np.concatenate(scores).astype(np.float32)
    keep = nms(all_boxes, all_scores, NMS_IOU)
    return Detections(all_boxes[keep], all_scores[keep], np.concatenate(marks)[keep])


def nms(boxes: np.ndarray, scores: np.ndarray, iou: float) -> np.ndarray:
    """Indices of the boxes kept, best score first: each drops the lower-scored boxes that
    overlap it by more than ``iou``."""
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    order = np.argsort(-scores, kind="stable")
    keep = []
    while order.size:
        i, rest = order[0], order[1:]
        keep.append(i)
        inter_w = np.minimum(boxes[i, 2], boxes[rest, 2]) - np.maximum(boxes[i, 0], boxes[rest, 0])
        inter_h = np.minimum(boxes[i, 3], boxes[rest, 3]) - np.maximum(boxes[i, 1], boxes[rest, 1])
        inter = np.clip(inter_w, 0, None) * np.clip(inter_h, 0, None)
        order = rest[inter / (area[i] + area[rest] - inter + 1e-9) <= iou]
    return np.array(keep, dtype=np.intp)
