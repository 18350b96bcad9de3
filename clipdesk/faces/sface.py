"""SFace (opencv_zoo face_recognition_sface_2021dec, a MobileFaceNet) on ONNX Runtime: a
128-d identity vector for an aligned 112x112 face.

The shipped graph is rewritten in memory when it loads, not on disk, with the same outputs
(to float rounding) and about half the CPU per face (models/faces/SOURCES.md):
its weights are also listed as graph inputs, which keeps ONNX Runtime from folding them
and fusing the batch norms; each PRelu becomes ``Relu(x) - slope * Relu(-x)``, whose Relu
ONNX Runtime fuses into the convolution before it; and the batch size is made symbolic
(one graph for any number of faces, though ``embed`` runs them one at a time).
"""

from __future__ import annotations

import numpy as np

from clipdesk.faces.model_files import EMBEDDER_FILE, cpu_session, model_bytes

DIM = 128


def embedder_session(threads: int):
    """A session over SFace, rewritten as the module docstring says."""
    import onnx
    from onnx import helper

    model = onnx.load_from_string(model_bytes(EMBEDDER_FILE))
    graph = model.graph
    weights = {init.name for init in graph.initializer}
    inputs = [i for i in graph.input if i.name not in weights]
    del graph.input[:]
    graph.input.extend(inputs)
    nodes = []
    for node in graph.node:
        if node.op_type != "PRelu":
            nodes.append(node)
            continue
        (x, slope), y = node.input, node.output[0]
        nodes += [
            helper.make_node("Relu", [x], [f"{y}/pos"]),
            helper.make_node("Neg", [x], [f"{y}/neg"]),
            helper.make_node("Relu", [f"{y}/neg"], [f"{y}/relu_neg"]),
            helper.make_node("Mul", [f"{y}/relu_neg", slope], [f"{y}/scaled_neg"]),
            helper.make_node("Sub", [f"{y}/pos", f"{y}/scaled_neg"], [y]),
        ]
    del graph.node[:]
    graph.node.extend(nodes)
    graph.input[0].type.tensor_type.shape.dim[0].dim_param = "N"
    graph.output[0].type.tensor_type.shape.dim[0].dim_param = "N"
    serialised = model.SerializeToString()
    del model
    return cpu_session(serialised, threads)


def embed(session, crops: np.ndarray) -> np.ndarray:
    """L2-normalised float32 vectors (n, DIM) of aligned crops (n, 112, 112, 3) uint8 RGB
    (the graph subtracts 127.5 and scales by 1/128 itself). One face a run: a batch of
    several costs more CPU per face, its activations outgrowing the cache."""
    name = session.get_inputs()[0].name
    x = np.ascontiguousarray(crops.transpose(0, 3, 1, 2), dtype=np.float32)
    vectors = np.concatenate([session.run(None, {name: x[i : i + 1]})[0] for i in range(len(x))])
    vectors = vectors.astype(np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
