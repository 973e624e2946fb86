"""Float ONNX embedding models as differentiable torch modules (fiqa's own small converter).

:class:`OnnxModule` runs an ONNX graph with torch operations, node by node, so gradients
flow to the input. It covers the operators of embedding networks (convolutions, batch
norm, PReLU, pooling, fully connected layers, elementwise arithmetic); any other operator
is refused by name when the model is loaded. fiqa does not use onnx2torch: it requires
torchvision, whose PyPI wheels do not import beside a CPU-only torch. The converted module
is checked against onnxruntime before it is used (:func:`check_parity`), so a conversion
that changes the model's function is refused.
"""

from __future__ import annotations

import os

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

#: Lowest cosine similarity between torch and onnxruntime embeddings accepted at load time.
PARITY_MIN_COSINE = 0.9999


class ParityError(RuntimeError):
    """The torch conversion of a model does not reproduce its onnxruntime embeddings."""


def _conv(attrs, x, weight, bias=None):
    pads = list(attrs.get("pads", [0] * 4))
    half = len(pads) // 2
    if pads[:half] != pads[half:]:  # asymmetric: pad explicitly (F.pad takes last dim first)
        x = F.pad(x, [p for i in reversed(range(half)) for p in (pads[i], pads[i + half])])
        pads = [0] * len(pads)
    return F.conv2d(x, weight, bias, stride=tuple(attrs.get("strides", [1, 1])),
                    padding=tuple(pads[:half]), dilation=tuple(attrs.get("dilations", [1, 1])),
                    groups=attrs.get("group", 1))


def _gemm(attrs, a, b, c=None):
    a = a.T if attrs.get("transA", 0) else a
    b = b.T if attrs.get("transB", 0) else b
    out = attrs.get("alpha", 1.0) * (a @ b)
    return out if c is None else out + attrs.get("beta", 1.0) * c


def _pool(kind):
    def pool(attrs, x):
        kernel, pads = tuple(attrs["kernel_shape"]), list(attrs.get("pads", [0] * 4))
        stride = tuple(attrs.get("strides", [1, 1]))
        if pads[:2] != pads[2:]:
            raise NotImplementedError(f"{kind} with asymmetric padding")
        if kind == "MaxPool":
            return F.max_pool2d(x, kernel, stride, tuple(pads[:2]), ceil_mode=bool(attrs.get("ceil_mode", 0)))
        return F.avg_pool2d(x, kernel, stride, tuple(pads[:2]), ceil_mode=bool(attrs.get("ceil_mode", 0)),
                            count_include_pad=bool(attrs.get("count_include_pad", 0)))
    return pool


def _reshape(attrs, x, shape):
    dims = [x.shape[i] if size == 0 else size for i, size in enumerate(shape.tolist())]
    return x.reshape(dims)


#: ONNX operator -> torch implementation ``(attributes, *inputs) -> output``.
OPERATORS = {
    "Conv": _conv,
    "BatchNormalization": lambda a, x, scale, bias, mean, var: F.batch_norm(
        x, mean, var, scale, bias, training=False, eps=a.get("epsilon", 1e-5)),
    "PRelu": lambda a, x, slope: torch.where(x >= 0, x, x * slope),
    "Relu": lambda a, x: F.relu(x),
    "Sigmoid": lambda a, x: torch.sigmoid(x),
    "Add": lambda a, x, y: x + y,
    "Sub": lambda a, x, y: x - y,
    "Mul": lambda a, x, y: x * y,
    "Div": lambda a, x, y: x / y,
    "Dropout": lambda a, x, *rest: x,
    "Identity": lambda a, x: x,
    "Flatten": lambda a, x: x.reshape(int(np.prod(x.shape[:a.get("axis", 1)])), -1),
    "Gemm": _gemm,
    "MatMul": lambda a, x, y: x @ y,
    "Reshape": _reshape,
    "Transpose": lambda a, x: x.permute(*a["perm"]),
    "GlobalAveragePool": lambda a, x: x.mean(dim=(2, 3), keepdim=True),
    "MaxPool": _pool("MaxPool"),
    "AveragePool": _pool("AveragePool"),
}


class OnnxModule(torch.nn.Module):
    """An ONNX graph (one input, one output) evaluated with torch operations.

    Initialisers and ``Constant`` nodes become buffers, so the module has no trainable
    parameters and moves with ``.to(...)``.
    """

    def __init__(self, model: onnx.ModelProto):
        super().__init__()
        graph = model.graph
        unknown = sorted({node.op_type for node in graph.node} - set(OPERATORS) - {"Constant"})
        if unknown:
            raise NotImplementedError(
                f"the ONNX model uses operators fiqa's converter does not cover: {unknown}; "
                f"covered: {', '.join(sorted(OPERATORS))}")
        self._buffer_of: dict[str, str] = {}
        for tensor in graph.initializer:
            self._add_constant(tensor.name, numpy_helper.to_array(tensor))
        self.nodes = []
        for node in graph.node:
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            if node.op_type == "Constant":
                self._add_constant(node.output[0], numpy_helper.to_array(attrs["value"]))
            else:
                self.nodes.append((node.op_type, list(node.input), node.output[0], attrs))
        inputs = [i.name for i in graph.input if i.name not in self._buffer_of]
        if len(inputs) != 1 or len(graph.output) != 1:
            raise NotImplementedError("the converter takes models with one input and one output")
        self.input_name, self.output_name = inputs[0], graph.output[0].name

    def _add_constant(self, name: str, value: np.ndarray) -> None:
        key = f"c{len(self._buffer_of)}"
        self.register_buffer(key, torch.from_numpy(np.array(value)), persistent=False)
        self._buffer_of[name] = key

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        values = {self.input_name: x}
        for name, key in self._buffer_of.items():
            values[name] = getattr(self, key)
        for op, inputs, output, attrs in self.nodes:
            values[output] = OPERATORS[op](attrs, *[values[i] if i else None for i in inputs])
        return values[self.output_name]


def torch_model(path: str | os.PathLike) -> OnnxModule:
    """Convert the float form of an ONNX file to an eval-mode torch module.

    Weight-quantised graphs are dequantised first (:func:`fiqa.onnx_float.float_model`).
    The module holds no trainable parameters; gradients still flow to the input.

    Examples
    --------
    >>> from fiqa.models import packaged_model
    >>> net = torch_model(packaged_model("sface").path)
    >>> net(torch.zeros(1, 3, 112, 112)).shape
    torch.Size([1, 128])
    """
    from fiqa.onnx_float import float_model

    module = OnnxModule(float_model(onnx.load(str(path))))
    return module.eval()


def check_parity(module, embedder, faces: np.ndarray, *,
                 min_cosine: float = PARITY_MIN_COSINE) -> float:
    """Check that ``module`` reproduces ``embedder``'s embeddings on aligned ``faces``.

    Parameters
    ----------
    module : torch.nn.Module
        Takes (N, 3, S, S) float input prepared as ``embedder.preprocess`` prepares it.
    embedder : fiqa.recognition.OnnxEmbedder
        The onnxruntime reference.
    faces : ndarray of uint8, shape (N, S, S, 3)
        Aligned RGB faces (real faces: random pixels do not exercise the model).
    min_cosine : float
        Lowest accepted per-face cosine similarity.

    Returns
    -------
    float
        The lowest cosine similarity found.

    Raises
    ------
    ParityError
        If any face falls below ``min_cosine``.

    Examples
    --------
    >>> from fiqa.models import packaged_model
    >>> from fiqa.recognition import sface
    >>> faces = np.full((1, 112, 112, 3), 128, np.uint8)
    >>> check_parity(torch_model(packaged_model("sface").path), sface(), faces) > 0.9999
    True
    """
    from fiqa.recognition import cosine_similarity

    reference = embedder.embed(faces)
    with torch.no_grad():
        output = module(torch.from_numpy(embedder.preprocess(faces))).reshape(len(faces), -1)
    if output.shape != reference.shape:
        raise ParityError(f"torch module gives embeddings of shape {tuple(output.shape)}, "
                          f"onnxruntime {reference.shape}: the module is not this model")
    worst = float(np.min(cosine_similarity(output.numpy(), reference)))
    if not worst >= min_cosine:
        raise ParityError(
            f"torch and onnxruntime embeddings disagree (lowest cosine {worst:.6f} < "
            f"{min_cosine}): the conversion of {embedder.name} changed the model; check that "
            "the ONNX file and its preprocessing (channel order, mean, std) are the ones given")
    return worst
