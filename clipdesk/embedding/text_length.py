"""A ready-made text graph of fixed length (77 tokens) made to take any length, without torch.

ClipDesk's own export takes only the tokens up to the last end-of-text token (onnx_export.py);
a downloaded one (rclip's, Immich's) was traced at the full context, so every prompt costs
77 positions: about ten times the work for a short one (ViT-B-32-256 on 2 cores: one query
59-143 ms against 8-9 ms). In a CLIP text tower the context length appears in the graph
only as the positional embedding and the causal mask (tensors with a 77-long axis) and as
the sequence length in attention's reshapes (constants equal to 77); ``make_dynamic`` cuts
the tensors to the input's length and puts that length in place of the constants. The
result is trusted only when it gives the fixed graph's vectors on probe rows at several
lengths (cosine 0.99999); otherwise the fixed graph stays, slower but right.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

SOT_ID, EOT_ID = 49406, 49407  # CLIP BPE start and end of text
_ONNX_INT = {np.dtype(np.int32): 6, np.dtype(np.int64): 7}  # onnx TensorProto INT32, INT64


def make_dynamic(
    source: Path, dest: Path, input_name: str, context: int, first_only: bool = False
) -> bool:
    """Write ``source`` (input ``input_name`` of shape [batch, context]) as ``dest`` (its
    weights in ``<dest name>.data`` beside it) taking any length up to ``context``; False
    (nothing written) when that does not give the same vectors. A shape constant (a graph
    traced with a fixed batch has them: [77, 1, 8, 64]) gets the length in place of each
    element equal to the context, or with ``first_only`` of the first one (a head width
    equal to the context length, as in the test model)."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    inputs = [i for i in graph.input if i.name == input_name]
    if len(inputs) != 1:
        return False
    dims = inputs[0].type.tensor_type.shape.dim
    if len(dims) != 2 or dims[1].dim_value != context:
        return False
    dims[1].ClearField("dim_value")
    dims[1].dim_param = "length"

    length = "clipdesk_length"  # [L], int64
    added = [helper.make_node("Shape", [input_name], [length], start=1, end=2)]
    swaps: dict[str, str] = {}

    def cut(name: str, shape: tuple[int, ...]) -> None:
        axes = [k for k, d in enumerate(shape) if d == context]
        out = f"{name}_clipdesk_cut"
        consts = (
            (f"{out}_starts", [0] * len(axes)),
            (f"{out}_axes", axes),
        )
        for const, values in consts:
            added.append(_constant(const, np.array(values, np.int64)))
        added.append(helper.make_node("Concat", [length] * len(axes), [f"{out}_ends"], axis=0))
        added.append(
            helper.make_node("Slice", [name, f"{out}_starts", f"{out}_ends", f"{out}_axes"], [out])
        )
        swaps[name] = out

    def as_length(name: str, value: np.ndarray) -> None:
        out = f"{name}_clipdesk_length"
        src = length
        if value.dtype != np.int64:
            added.append(
                helper.make_node("Cast", [length], [f"{out}_cast"], to=_ONNX_INT[value.dtype])
            )
            src = f"{out}_cast"
        if value.ndim == 0:
            added.append(_constant(f"{out}_shape", np.array([], np.int64)))
            added.append(helper.make_node("Reshape", [src, f"{out}_shape"], [out]))
        else:
            added.append(helper.make_node("Identity", [src], [out]))
        swaps[name] = out

    def shape_with_length(name: str, value: np.ndarray) -> None:
        out = f"{name}_clipdesk_shape"
        pieces = []
        for k, v in enumerate(value.tolist()):
            first = k == int(np.argmax(value == context))
            if v == context and (first or not first_only):
                pieces.append(length)
            else:
                pieces.append(f"{out}_{k}")
                added.append(_constant(pieces[-1], np.array([v], np.int64)))
        added.append(helper.make_node("Concat", pieces, [f"{out}_i64"], axis=0))
        added.append(helper.make_node("Cast", [f"{out}_i64"], [out], to=_ONNX_INT[value.dtype]))
        swaps[name] = out

    def visit(name: str, value: np.ndarray) -> None:
        if value.ndim >= 2 and context in value.shape:
            cut(name, value.shape)
        elif value.dtype not in (np.int32, np.int64) or context not in value.ravel():
            return
        elif value.size == 1:
            as_length(name, value)
        elif value.ndim == 1 and value.size <= 8:
            shape_with_length(name, value)

    for init in graph.initializer:
        if context in init.dims or (len(init.dims) == 1 and init.dims[0] <= 8):
            visit(init.name, numpy_helper.to_array(init))
    for node in graph.node:
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
            visit(node.output[0], numpy_helper.to_array(node.attribute[0].t))
    if not swaps:
        return False
    for node in graph.node:
        for k, name in enumerate(node.input):
            if name in swaps:
                node.input[k] = swaps[name]
    used = {name for node in [*graph.node, *added] for name in node.input}
    nodes = [n for n in graph.node if n.op_type != "Constant" or n.output[0] in used]
    del graph.node[:]
    graph.node.extend(added + nodes)  # the new nodes read only inputs and constants
    kept = [i for i in graph.initializer if i.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)

    from clipdesk.embedding.onnx_export import save_model_for, writing_graph

    dest.parent.mkdir(parents=True, exist_ok=True)
    with writing_graph(dest) as path:
        save_model_for(model, path, dest)
        if not _same_vectors(source, path, input_name, context):
            raise _NotExact
    return True


class _NotExact(Exception):
    pass


def try_make_dynamic(source: Path, dest: Path, input_name: str, context: int) -> bool:
    """``make_dynamic`` (each element equal to the context in a shape, else the first),
    False (and nothing left at ``dest``) when neither gives the same vectors."""
    for first_only in (False, True):
        try:
            return make_dynamic(source, dest, input_name, context, first_only)
        except _NotExact:
            log.info("the text graph %s is not exact at other lengths", source)
        except Exception as exc:  # a graph unlike a CLIP text tower: it stays as it is
            log.info("could not make %s take any length (%s)", source, exc)
    return False


def _constant(name: str, value: np.ndarray):
    from onnx import helper, numpy_helper

    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(value, name))


def _probe_tokens(context: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    tokens = np.zeros((3, context), np.int64)
    for row, n in enumerate((1, 4, min(12, context - 2))):
        tokens[row, 0], tokens[row, n + 1] = SOT_ID, EOT_ID
        tokens[row, 1 : n + 1] = rng.integers(300, 40000, n)
    return tokens


def _same_vectors(fixed: Path, dynamic: Path, input_name: str, context: int) -> bool:
    """The dynamic graph, on probe rows cut to several lengths past their end-of-text
    token, gives the fixed graph's vectors on the full rows."""
    import onnxruntime as ort

    cpu = ["CPUExecutionProvider"]
    quiet = ort.SessionOptions()
    quiet.log_severity_level = 4  # a graph that fails here is no error of the user's
    full, cut = (ort.InferenceSession(str(p), quiet, providers=cpu) for p in (fixed, dynamic))
    dtype = {"tensor(int32)": np.int32}.get(full.get_inputs()[0].type, np.int64)
    tokens = _probe_tokens(context).astype(dtype)

    def run(session, rows: np.ndarray) -> np.ndarray:  # row by row: a graph of batch 1 too
        out = np.concatenate([session.run(None, {input_name: rows[i : i + 1]})[0]
                              for i in range(len(rows))])  # fmt: skip
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    reference = run(full, tokens)
    eot = tokens.argmax(axis=1)
    for length in sorted({3, 6, 14, context // 2, context}):
        rows = eot < length
        if length > context or not rows.any():
            continue
        got = run(cut, np.ascontiguousarray(tokens[rows, :length]))
        if np.min(np.sum(got * reference[rows], axis=1)) < 0.99999:
            return False
    return True
