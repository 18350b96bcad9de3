"""The compact scan matrix: one byte per dimension, for ranking a large library fast (no Qt).

Each stored row ``v`` (L2-normalised float32) is kept beside the float32 file as ``codes``
(uint8, ``round(v / scale) + 128``) and ``scale`` (float32, ``max|v| / 127``, one per row);
``err`` is ``||v - scale * (codes - 128)||``, of which the file keeps the largest. A query
``q`` is quantised the same way to 7 bits (``b = round(q / t)``, ``|b| <= 63``: AVX2's
u8 x s8 multiply-add saturates past that). The approximate score of a row is then
``scale * t * (codes - 128) . b`` with an error at most

    |v . q - approx| <= ||q - t b|| + err * ||t b||        (Cauchy-Schwarz, |v| = 1)

which ``bound`` returns: search.py ranks every row by the approximate score, re-scores a
shortlist exactly, and widens it until no row outside can beat the exact top results.

The integer product runs in ONNX Runtime (``MatMulInteger``, int32 accumulation, as
``query x codes^T`` with the codes a constant that ONNX Runtime packs once): numpy has no
fast int8 product, and the same product over the memory-mapped rows without packing is
slower than numpy's float32 one (benchmarks/README.md). The graph is written here as
protobuf bytes so that a search never imports the ``onnx`` package (4 s). Packing costs
a transposed private copy of the codes and seconds at 1M rows, so an index packs in the
background once it is queried again (search.py); until then it scans exactly.
"""

from __future__ import annotations

import threading

import numpy as np

QUERY_LEVELS = 63
ROW_LEVELS = 127
OFFSET = 128


def quantise(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(codes uint8 (n, dim), scales float32 (n,), largest row error) of unit ``rows``."""
    rows = np.asarray(rows, np.float32)
    if not len(rows):
        return np.zeros(rows.shape, np.uint8), np.zeros(0, np.float32), 0.0
    scale = np.maximum(np.abs(rows).max(axis=1), 1e-12) / ROW_LEVELS
    q = np.rint(rows / scale[:, None])
    err = np.linalg.norm(rows - q * scale[:, None], axis=1)
    return (q + OFFSET).astype(np.uint8), scale.astype(np.float32), float(err.max())


def quantise_query(query: np.ndarray) -> tuple[np.ndarray, float, float, float]:
    """(int8 codes, scale t, ||q - t b||, ||t b||) of a float32 query."""
    q = np.asarray(query, np.float32).reshape(-1)
    t = max(float(np.abs(q).max()), 1e-12) / QUERY_LEVELS
    b = np.rint(q / t)
    tb = (b * t).astype(np.float64)
    return b.astype(np.int8), t, float(np.linalg.norm(q - tb)), float(np.linalg.norm(tb))


def bound(query_err: float, query_norm: float, row_err: float) -> float:
    """The most an approximate score can differ from the exact one (plus float slack)."""
    return query_err * 1.001 + row_err * query_norm * 1.001 + 1e-5


# -- ONNX graphs as protobuf bytes ---------------------------------------------------------


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, value) -> bytes:
    if isinstance(value, int):
        return _varint(number << 3) + _varint(value)
    data = value.encode() if isinstance(value, str) else value
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _tensor_type(elem: int, dims) -> bytes:
    shape = b"".join(_field(1, _field(1, d) if isinstance(d, int) else _field(2, d)) for d in dims)
    return _field(1, _field(1, elem) + _field(2, shape))


def _value(name: str, elem: int, dims) -> bytes:
    return _field(1, name) + _field(2, _tensor_type(elem, dims))


_UINT8, _INT8, _INT32 = 2, 3, 6


def _scalar(name: str, elem: int, value: int) -> bytes:
    return _field(2, elem) + _field(8, name) + _field(9, bytes([value]))


def _model(inputs, zero_point: int, initializer: bytes = b"") -> bytes:
    """MatMulInteger(A, B, a_zero_point) -> Y; ``inputs`` are ValueInfo fields of A, B, Y."""
    a, b, y = inputs
    node = b"".join(_field(1, n) for n in ("A", "B", "azp")) + _field(2, "Y")
    node += _field(4, "MatMulInteger")
    graph = _field(1, node) + _field(2, "scan")
    graph += _field(5, _scalar("azp", _UINT8, zero_point))
    if initializer:
        graph += _field(5, initializer)
    for v in (a, b) if not initializer else (a,):
        graph += _field(11, v)
    graph += _field(12, y)
    return _field(1, 8) + _field(8, _field(1, "") + _field(2, 13)) + _field(7, graph)


def packed_graph(dim: int, n: int) -> bytes:
    """Y[1, N] = (A[1, dim] (uint8) - 64) @ B[dim, N] (int8, a constant given at load)."""
    placeholder = _field(1, dim) + _field(1, n) + _field(2, _INT8) + _field(8, "B")
    placeholder += _field(13, _field(1, "location") + _field(2, "supplied-at-load"))
    placeholder += _field(14, 1)  # data_location: EXTERNAL (given in memory at load)
    return _model(
        (
            _value("A", _UINT8, (1, dim)),
            _value("B", _INT8, (dim, n)),
            _value("Y", _INT32, (1, n)),
        ),
        QUERY_LEVELS + 1,
        placeholder,
    )


def _session(model: bytes, initializers: dict | None = None):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if initializers:
        opts.add_external_initializers(list(initializers), list(initializers.values()))
    return ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])


class Int8Scan:
    """Integer products of one query with every row of ``codes`` (n, dim) uint8, through
    ONNX Runtime's packed int8 product. Packing (a transposed private copy of the codes,
    then ONNX Runtime's own layout) runs in a background thread: ``ready`` says when."""

    def __init__(self, codes: np.ndarray):
        self.codes = codes
        self.failed: str | None = None
        self._session = None
        self._parts = None
        self._thread = threading.Thread(target=self._pack, name="clipdesk-pack", daemon=True)
        self._thread.start()

    @property
    def ready(self) -> bool:
        return self._session is not None

    def wait(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return self.ready

    def dots(self, b: np.ndarray) -> np.ndarray:
        """int32 (n,): ``(codes - 128) @ b`` for int8 ``b`` with |b| <= 63 (once ready)."""
        a = (b.astype(np.int16) + QUERY_LEVELS + 1).astype(np.uint8)[None]
        return self._session.run(None, {"A": a})[0][0]

    def _pack(self) -> None:
        try:
            import onnxruntime as ort

            n, dim = self.codes.shape
            transposed = np.empty((dim, n), np.int8)
            step = 1024  # rows per transposed block: small blocks stay in cache (3.6x faster)
            for start in range(0, n, step):
                block = np.bitwise_xor(self.codes[start : start + step], OFFSET).view(np.int8)
                transposed[:, start : start + len(block)] = block.T
            value = ort.OrtValue.ortvalue_from_numpy(transposed)
            self._parts = (transposed, value)  # ONNX Runtime may read them after packing
            self._session = _session(packed_graph(dim, n), {"B": value})
        except Exception as exc:  # memory, a broken runtime: the index stays exact
            self.failed = str(exc) or type(exc).__name__
