"""SFace (opencv_zoo face_recognition_sface_2021dec, a MobileFaceNet) on ONNX Runtime: a
128-d identity vector for an aligned 112x112 face. The engine's embedder until 2026-12-07,
when dlib's face ResNet (dlib_resnet.py) took its place at a third of the CPU a face; kept
for benchmarks/faces.py's comparison, and not in the wheel or the bundle (docs/faces.md).

It ran quantised to int8 (``QUANTISED_FILE``; packaging/quantise_faces.py makes it from
``rewritten_model`` with ``quantised_model``): about 40% less CPU a face than the float
graph, vectors within a cosine of about 0.02 of the float ones, and the same people apart.

The float graph is rewritten in memory, not on disk, with the same outputs (to float
rounding) and under half the CPU per face of the file as shipped (models/faces/SOURCES.md):
its weights are also listed as graph inputs, which keeps ONNX Runtime from folding them and
fusing the batch norms; each PRelu, which ONNX Runtime's blocked (NCHWc) convolutions cannot
take, becomes per-channel 1x1 convolutions that they can (``_prelu``); and the batch size is
made symbolic (one graph for any number of faces, though ``embed`` runs them one at a time).
"""

from __future__ import annotations

import numpy as np

from clipdesk.faces import align
from clipdesk.faces.model_files import (
    EMBEDDER_FILE,
    QUANTISED_FILE,
    cpu_session,
    model_bytes,
    run_each,
    unit,
)

DIM = 128
CHIP = align.ARCFACE
VECTORS = "sface-2021dec"  # the float and int8 graphs' vectors compare (docs/faces.md)


def embedder_session(threads: int):
    """A session over the int8 SFace (what the engine ran until 2026-12-07)."""
    return cpu_session(model_bytes(QUANTISED_FILE), threads)


def float_session(threads: int):
    """A session over SFace in float, rewritten as the module docstring says (the reference
    the int8 graph is measured against). In the repository only: tests, benchmarks and
    packaging/quantise_faces.py use it."""
    return cpu_session(rewritten_model(), threads)


def rewritten_model() -> bytes:
    """The shipped graph, serialised after the rewrite the module docstring describes."""
    import onnx

    model = onnx.load_from_string(model_bytes(EMBEDDER_FILE))
    graph = model.graph
    weights = {init.name: init for init in graph.initializer}
    inputs = [i for i in graph.input if i.name not in weights]
    del graph.input[:]
    graph.input.extend(inputs)
    nodes, slopes = [], set()
    for node in graph.node:
        if node.op_type == "PRelu":
            nodes += _prelu(graph, node, onnx.numpy_helper.to_array(weights[node.input[1]]))
            slopes.add(node.input[1])
        else:
            nodes.append(node)
    del graph.node[:]
    graph.node.extend(nodes)
    kept = [init for init in graph.initializer if init.name not in slopes]  # now in _prelu's
    del graph.initializer[:]
    graph.initializer.extend(kept)
    graph.input[0].type.tensor_type.shape.dim[0].dim_param = "N"
    graph.output[0].type.tensor_type.shape.dim[0].dim_param = "N"
    return model.SerializeToString()


def _prelu(graph, node, slope: np.ndarray) -> list:
    """``PRelu(x, s)`` as ``x + (1 - s) * Relu(-x)``, per channel: a 1x1 depthwise
    convolution by -1 with its Relu fused, then one by ``1 - s`` whose sum with ``x`` ONNX
    Runtime fuses into it. Every step stays in the blocked layout of the convolutions
    around it; as Relu, Neg, Mul and Sub (the rewrite before this one) the PRelus cost a
    third of the graph's time, most of it reordering between layouts."""
    from onnx import helper, numpy_helper

    x, y = node.input[0], node.output[0]
    scale = (1.0 - slope.astype(np.float32)).reshape(-1)
    channels = scale.size
    minus = numpy_helper.from_array(np.full((channels, 1, 1, 1), -1.0, np.float32), f"{y}/minus")
    keep = numpy_helper.from_array(scale.reshape(channels, 1, 1, 1), f"{y}/one_minus_slope")
    graph.initializer.extend([minus, keep])
    depthwise = {"group": channels, "kernel_shape": [1, 1]}
    return [
        helper.make_node("Conv", [x, minus.name], [f"{y}/negated"], **depthwise),
        helper.make_node("Relu", [f"{y}/negated"], [f"{y}/negative_part"]),
        helper.make_node("Conv", [f"{y}/negative_part", keep.name], [f"{y}/scaled"], **depthwise),
        helper.make_node("Add", [x, f"{y}/scaled"], [y]),
    ]


def embed(session, crops: np.ndarray) -> np.ndarray:
    """L2-normalised float32 vectors (n, DIM) of aligned crops (n, 112, 112, 3) uint8 RGB
    (the graph subtracts 127.5 and scales by 1/128 itself), one face a run."""
    return unit(run_each(session, crops))


def quantised_model(calibration: np.ndarray) -> bytes:
    """``rewritten_model`` in int8 (quantise.int8_model), from aligned crops (n x 112 x 112 x
    3 uint8)."""
    from clipdesk.faces.quantise import int8_model

    return int8_model(rewritten_model(), calibration)
