"""Turn a weight-quantised ONNX model (such as SFace int8bq) into a plain float graph.

Weight-only ``DequantizeLinear`` nodes (including opset-21 blocked quantisation) and the
``Reshape`` nodes that shape their output are evaluated once in numpy and replaced by
float initializers; inputs nothing reads are dropped, the batch dimension is made dynamic
and the opset is lowered to 17, which onnxruntime and OpenCV accept. ``PRelu`` with a
constant slope ``a`` becomes ``x * a + relu(x) * (1 - a)`` (the same function): the
onnxruntime CPU kernel for PRelu does not vectorise a per-channel slope and was the
largest cost of SFace.
"""

from __future__ import annotations

import functools
import os

import numpy as np
import onnx
from onnx import helper, numpy_helper

TARGET_OPSET = 17


def dequantize_blocked(quantized: np.ndarray, scales: np.ndarray, zero_point: np.ndarray | None,
                       *, axis: int, block_size: int) -> np.ndarray:
    """ONNX ``DequantizeLinear``: ``(q - zero_point) * scale`` with per-axis or blocked scales.

    Examples
    --------
    >>> q = np.array([[2, 4, 6, 8]], np.int8)
    >>> dequantize_blocked(q, np.array([[0.5, 2.0]], np.float32), None, axis=1, block_size=2).tolist()
    [[1.0, 2.0, 12.0, 16.0]]
    """
    values = quantized.astype(np.float32)
    if zero_point is not None:
        values = values - _expand(zero_point.astype(np.float32), values.shape, axis, block_size)
    return values * _expand(scales.astype(np.float32), values.shape, axis, block_size)


def _expand(factors: np.ndarray, shape: tuple[int, ...], axis: int, block_size: int) -> np.ndarray:
    if factors.size == 1:
        return factors.reshape(())
    axis = axis % len(shape)
    if block_size > 0:  # blocked: factors has the input's shape with ceil(n / block) on axis
        repeated = np.repeat(factors, block_size, axis=axis)
        return np.take(repeated, np.arange(shape[axis]), axis=axis)
    view = [1] * len(shape)  # per-axis: one factor per index of axis
    view[axis] = -1
    return factors.reshape(view)


def float_model(model: onnx.ModelProto) -> onnx.ModelProto:
    """A copy of ``model`` with constant weight dequantisation folded into float weights."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    graph = model.graph
    constants = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    folded: dict[str, np.ndarray] = {}
    kept = []
    for node in graph.node:
        inputs = [constants.get(name, folded.get(name)) for name in node.input if name]
        if node.op_type == "DequantizeLinear" and all(value is not None for value in inputs):
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            zero_point = inputs[2] if len(inputs) > 2 else None
            folded[node.output[0]] = dequantize_blocked(
                inputs[0], inputs[1], zero_point, axis=attrs.get("axis", 1),
                block_size=attrs.get("block_size", 0))
        elif node.op_type == "Reshape" and node.input[0] in folded and node.input[1] in constants:
            folded[node.output[0]] = folded[node.input[0]].reshape(constants[node.input[1]])
        else:
            kept.append(node)
    kept, extra = _rewrite_prelu(kept, {**constants, **folded})
    folded.update(extra)
    used = {name for node in kept for name in node.input} | {out.name for out in graph.output}
    new_initializers = [init for init in graph.initializer if init.name in used]
    new_initializers += [numpy_helper.from_array(value, name) for name, value in folded.items()
                         if name in used]
    initializer_names = {init.name for init in new_initializers}
    new_inputs = [inp for inp in graph.input if inp.name in used and inp.name not in initializer_names]
    del graph.node[:]
    graph.node.extend(kept)
    del graph.initializer[:]
    graph.initializer.extend(new_initializers)
    del graph.input[:]
    graph.input.extend(new_inputs)
    for value in list(graph.input) + list(graph.output):
        dims = value.type.tensor_type.shape.dim
        if dims:
            dims[0].dim_param = "batch"
    for opset in model.opset_import:
        if opset.domain in ("", "ai.onnx"):
            opset.version = min(opset.version, TARGET_OPSET)
    onnx.checker.check_model(model)
    return model


def _rewrite_prelu(nodes: list, constants: dict[str, np.ndarray]
                   ) -> tuple[list, dict[str, np.ndarray]]:
    """PRelu nodes with constant slopes as Mul/Relu/Mul/Add; the new constants by name."""
    out, extra = [], {}
    for node in nodes:
        slope = constants.get(node.input[1]) if node.op_type == "PRelu" else None
        if slope is None:
            out.append(node)
            continue
        x, y, tag = node.input[0], node.output[0], node.output[0] + "/prelu"
        extra[f"{tag}/a"] = slope.astype(np.float32)
        extra[f"{tag}/1-a"] = (1.0 - slope).astype(np.float32)
        out += [helper.make_node("Mul", [x, f"{tag}/a"], [f"{tag}/scaled"]),
                helper.make_node("Relu", [x], [f"{tag}/relu"]),
                helper.make_node("Mul", [f"{tag}/relu", f"{tag}/1-a"], [f"{tag}/positive"]),
                helper.make_node("Add", [f"{tag}/scaled", f"{tag}/positive"], [y])]
    return out, extra


@functools.cache
def float_model_bytes(path: str | os.PathLike) -> bytes:
    """Serialized float version of the ONNX file at ``path`` (cached per process)."""
    return float_model(onnx.load(str(path))).SerializeToString()
