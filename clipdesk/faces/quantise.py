"""Face embedders in int8: what packaging/quantise_faces.py makes the shipped int8 graphs with
(docs/faces.md). Not used at run time: the engine loads the files it made."""

from __future__ import annotations

import numpy as np


def int8_model(model_bytes: bytes, calibration: np.ndarray) -> bytes:
    """A float face embedder (a serialised graph with one input, n x 3 x size x size) quantised
    to int8 by ONNX Runtime's static quantisation: QDQ, int8 weights per output channel in 7
    bits (``reduce_range``), uint8 activations whose ranges are the 0.001-99.999 percentiles
    seen on ``calibration`` (aligned crops, n x size x size x 3 uint8). Seven-bit weights
    keep the products of CPUs without VNNI (AVX2's u8 x s8 pairs, summed in 16 bits) from
    saturating, so every x86 CPU computes the same integers. The same calibration and ONNX
    Runtime version give the same bytes."""
    import tempfile
    from pathlib import Path

    import onnx
    from onnx import version_converter
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    # DequantizeLinear's per-channel axis needs opset 13
    model = version_converter.convert_version(onnx.load_from_string(model_bytes), 13)
    name = model.graph.input[0].name
    x = np.ascontiguousarray(calibration.transpose(0, 3, 1, 2), dtype=np.float32)

    class Crops(CalibrationDataReader):
        def __init__(self) -> None:
            self.feeds = iter([{name: crop[None]} for crop in x])

        def get_next(self):
            return next(self.feeds, None)

    with tempfile.TemporaryDirectory() as tmp:
        onnx.save(model, f"{tmp}/float.onnx")
        quant_pre_process(f"{tmp}/float.onnx", f"{tmp}/pre.onnx", skip_symbolic_shape=True)
        quantize_static(
            f"{tmp}/pre.onnx",
            f"{tmp}/int8.onnx",
            Crops(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            reduce_range=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.Percentile,
        )
        return Path(f"{tmp}/int8.onnx").read_bytes()
