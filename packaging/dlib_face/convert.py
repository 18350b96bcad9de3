"""Convert dlib's face-recognition ResNet (dlib_face_recognition_resnet_model_v1.dat, CC0)
into an ONNX graph that reproduces dlib's 128-d face descriptor.

Two stages:
  1. extract_dlib_face_weights.cpp (compiled against dlib's source) deserializes the .dat into
     the exact network type of dlib's examples/dnn_face_recognition_ex.cpp and dumps every
     tensor as float32 (weights.bin) with an index (weights.txt), plus a probe image and dlib's
     output for it (probe_in.bin / probe_out.bin).
  2. This script reads that dump and writes the ONNX graph (opset 13, IR 8), then checks it
     against dlib's probe outputs with onnxruntime (if installed).

Graph contract
  input  "input"      float32 [N,3,150,150]  RGB, 0..255, an aligned 150x150 chip exactly as
                                             dlib.get_face_chip(img, shape, 150, 0.25) makes it
  output "descriptor" float32 [N,128]        dlib's descriptor (not normalised)

Facts about dlib's layers that the graph encodes (checked in dlib/dnn/*.h and in weights.txt):
  * input_rgb_image_sized<150>: x = (pixel - mean_c)/256, means R,G,B = 122.782, 117.001, 104.298
    (the means are also read back from the .dat, see weights.txt).
  * con_: default padding = k//2 when stride 1, 0 when stride != 1 (and the .dat stores the
    padding explicitly; weights.txt shows 7x7/s2 pad 0, 3x3/s2 pad 0, 3x3/s1 pad 1). All convs
    have a bias. Filters are (out, in, kh, kw) row-major = ONNX OIHW; the operation is a
    cross-correlation like ONNX Conv.
  * affine_ (loaded from bn_con2): y = gamma*x + beta per channel, batch-norm already folded.
  * max_pool<3,3,2,2> and avg_pool<2,2,2,2>: padding 0 (default for stride != 1), output size
    1 + (in - k)//stride (floor), windows start at 0: identical to ONNX MaxPool/AveragePool.
  * add_prev: output = max of each dimension of the two inputs; each input sits at index 0
    (top-left, first channels) and is zero elsewhere (dlib/cuda/cpu_dlib.cpp, add(dest,s1,s2)).
    In this net that happens in residual_down: channels (32->64 etc.) and, at 8x8 -> 3x3 conv vs
    4x4 avg pool, and 4x4 -> 1x1 conv vs 2x2 avg pool, the spatial size.
  * avg_pool_everything = global average; fc_no_bias<128>: weights (256,128), out = x @ W.
  * loss_metric returns the fc output unchanged.

Usage: models/faces/SOURCES.md has the commands, from the two PyPI sdists (dlib 20.0.0 for
the C++ source, face_recognition_models 0.3.0 for the .dat) to the graph, the same bytes.
"""

import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def read_dump(wdir):
    """Return (tensors in file order as (kind, layer_idx, array), meta lines, input means)."""
    flat = np.fromfile(os.path.join(wdir, "weights.bin"), dtype="<f4")
    tensors, meta, means = [], [], None
    with open(os.path.join(wdir, "weights.txt")) as f:
        for line in f:
            line = line.strip()
            if line.startswith("# input_rgb_image_sized"):
                kv = dict(t.split("=") for t in line.split()[2:])
                means = np.array([kv["avg_red"], kv["avg_green"], kv["avg_blue"]], np.float32)
            elif line.startswith("# layer "):
                meta.append(line)
            elif line and not line.startswith("#"):
                kind, idx, off, *dims = line.split()
                dims = tuple(int(d) for d in dims)
                n = int(np.prod(dims))
                tensors.append((kind, int(idx), flat[int(off) : int(off) + n].reshape(dims).copy()))
    used = sum(t[2].size for t in tensors)
    assert used == flat.size, (used, flat.size)
    return tensors, meta, means


class Builder:
    def __init__(self, tensors, meta):
        self.t = iter(tensors)
        self.meta = {int(m.split()[2]): m for m in meta}
        self.nodes, self.inits, self.n = [], [], 0

    def _name(self, p):
        self.n += 1
        return f"{p}_{self.n}"

    def const(self, arr, p="c", dtype=np.float32):
        nm = self._name(p)
        self.inits.append(numpy_helper.from_array(np.asarray(arr, dtype), nm))
        return nm

    def node(self, op, ins, out=None, **kw):
        out = out or self._name(op.lower())
        self.nodes.append(helper.make_node(op, ins, [out], name=out, **kw))
        return out

    def take(self, kind, shape):
        k, idx, a = next(self.t)
        assert k == kind and a.shape == tuple(shape), (k, idx, a.shape, kind, shape)
        return idx, a

    def conv(self, x, cin, cout, k, s):
        idx, w = self.take("conv_w", (cout, cin, k, k))
        _, b = self.take("conv_b", (cout,))
        pad = k // 2 if s == 1 else 0
        # cross-check against what dlib read from the .dat
        assert f"k={k}x{k} stride={s},{s} pad={pad},{pad} bias=1 fused_relu=0" in self.meta[idx], (
            self.meta[idx]
        )
        return self.node(
            "Conv",
            [x, self.const(w, "W"), self.const(b, "B")],
            kernel_shape=[k, k],
            strides=[s, s],
            pads=[pad] * 4,
        )

    def affine(self, x, c):
        idx, g = self.take("affine_gamma", (c,))
        _, b = self.take("affine_beta", (c,))
        assert "mode=CONV disabled=0" in self.meta[idx], self.meta[idx]
        x = self.node("Mul", [x, self.const(g.reshape(1, c, 1, 1), "gamma")])
        return self.node("Add", [x, self.const(b.reshape(1, c, 1, 1), "beta")])

    def relu(self, x):
        return self.node("Relu", [x])

    def block(self, x, cin, n, stride):
        # block = affine(con3x3/1(relu(affine(con3x3/stride(x)))))
        y = self.relu(self.affine(self.conv(x, cin, n, 3, stride), n))
        return self.affine(self.conv(y, n, n, 3, 1), n)

    def ares(self, x, n, hw):
        # relu(add_prev1(block(x), x)); same shapes
        return self.relu(self.node("Add", [self.block(x, n, n, 1), x])), hw

    def pad_end(self, x, dc, dhw):
        """Zero-pad at the END of channels / rows / cols (dlib's add_prev aligns at index 0)."""
        if dc == 0 and dhw == 0:
            return x
        return self.node(
            "Pad", [x, self.const([0, 0, 0, 0, 0, dc, dhw, dhw], "pads", np.int64)], mode="constant"
        )

    def ares_down(self, x, cin, n, hw):
        # relu(add_prev2(avg_pool<2,2,2,2>(x), block_stride2(x)))
        y = self.block(x, cin, n, 2)
        conv_hw = (hw - 3) // 2 + 1
        p = self.node("AveragePool", [x], kernel_shape=[2, 2], strides=[2, 2])
        pool_hw = (hw - 2) // 2 + 1
        out_hw = max(conv_hw, pool_hw)
        y = self.pad_end(y, 0, out_hw - conv_hw)
        p = self.pad_end(p, n - cin, out_hw - pool_hw)
        return self.relu(self.node("Add", [y, p])), out_hw


def build(tensors, meta, means):
    g = Builder(tensors, meta)
    # input layer: (pixel - mean) / 256, RGB planes
    x = g.node("Sub", ["input", g.const(means.reshape(1, 3, 1, 1), "mean")])
    x = g.node("Mul", [x, g.const(np.full((1, 1, 1, 1), 1 / 256, np.float32), "scale")])
    x = g.relu(g.affine(g.conv(x, 3, 32, 7, 2), 32))  # 150 -> 72
    x = g.node("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2])  # 72 -> 35
    hw = 35
    for _ in range(3):  # alevel4
        x, hw = g.ares(x, 32, hw)
    x, hw = g.ares_down(x, 32, 64, hw)  # alevel3: 35 -> 17
    for _ in range(3):
        x, hw = g.ares(x, 64, hw)
    x, hw = g.ares_down(x, 64, 128, hw)  # alevel2: 17 -> 8
    for _ in range(2):
        x, hw = g.ares(x, 128, hw)
    x, hw = g.ares_down(x, 128, 256, hw)  # alevel1: 8 -> 4 (conv 3, zero-padded)
    for _ in range(2):
        x, hw = g.ares(x, 256, hw)
    x, hw = g.ares_down(x, 256, 256, hw)  # alevel0: 4 -> 2 (conv 1, zero-padded)
    assert hw == 2
    x = g.node("GlobalAveragePool", [x])  # avg_pool_everything
    x = g.node("Flatten", [x], axis=1)
    _, w = g.take("fc_w", (256, 128))  # fc_no_bias: x @ W
    g.node("MatMul", [x, g.const(w, "fc")], out="descriptor")
    rest = list(g.t)
    assert not rest, f"{len(rest)} tensors left unused"

    graph = helper.make_graph(
        g.nodes,
        "dlib_face_recognition_resnet_model_v1",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 150, 150])],
        [helper.make_tensor_value_info("descriptor", TensorProto.FLOAT, ["N", 128])],
        g.inits,
    )
    m = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="convert_dlib_face.py"
    )
    m.ir_version = 8
    m.doc_string = (
        "dlib_face_recognition_resnet_model_v1 (Davis E. King, CC0). input: RGB 0..255 "
        "150x150 chip aligned like dlib.get_face_chip(size=150, padding=0.25); "
        "output: dlib's 128-d descriptor, unnormalised."
    )
    onnx.checker.check_model(m)
    return m


def check_probe(model_path, wdir):
    try:
        import onnxruntime as ort
    except ImportError:
        print("onnxruntime not installed; probe check skipped")
        return
    raw = np.fromfile(os.path.join(wdir, "probe_in.bin"), np.uint8)
    imgs = raw.reshape(-1, 150, 150, 3).transpose(0, 3, 1, 2).astype(np.float32)
    want = np.fromfile(os.path.join(wdir, "probe_out.bin"), "<f4").reshape(-1, 128)
    sess = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    got = sess.run(["descriptor"], {"input": imgs})[0]
    for i in range(len(want)):
        d = np.abs(got[i] - want[i]).max()
        cos = got[i] @ want[i] / np.linalg.norm(got[i]) / np.linalg.norm(want[i])
        norm = np.linalg.norm(want[i])
        print(f"probe {i}: max|onnx-dlib| = {d:.3g}, cosine = {cos:.9f}, |dlib| = {norm:.4f}")


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("weights_dir", help="folder written by extract_dlib_face_weights")
    ap.add_argument("out", help="output .onnx path")
    a = ap.parse_args()
    tensors, meta, means = read_dump(a.weights_dir)
    m = build(tensors, meta, means)
    onnx.save(m, a.out)
    print(f"wrote {a.out}: {len(m.graph.node)} nodes, means {means.tolist()}")
    check_probe(a.out, a.weights_dir)


if __name__ == "__main__":
    sys.exit(main())
