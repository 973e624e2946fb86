"""Float ONNX embedding models as differentiable torch modules (via onnx2torch).

onnx2torch imports torchvision at import time, only for its NMS and RoiAlign converters.
torchvision from PyPI does not load beside fiqa's CPU torch build, and embedding models
use neither operator, so :func:`import_onnx2torch` stands in a placeholder for it during
that one import. The converted module is checked against onnxruntime before it is used
(:func:`check_parity`), so a conversion that changes the model's function is refused.
"""

from __future__ import annotations

import importlib
import os
import sys
import types

import numpy as np
import onnx

#: Lowest cosine similarity between torch and onnxruntime embeddings accepted at load time.
PARITY_MIN_COSINE = 0.9999


class ParityError(RuntimeError):
    """The torch conversion of a model does not reproduce its onnxruntime embeddings."""


def import_onnx2torch():
    """Import :mod:`onnx2torch`, standing in for torchvision when it cannot be imported.

    The placeholder exists only during the import and raises a clear error if a model
    ever needs torchvision's NMS or RoiAlign (detection operators; embedding models
    have neither).

    Returns
    -------
    module
        The ``onnx2torch`` module.

    Examples
    --------
    >>> hasattr(import_onnx2torch(), "convert")
    True
    """
    if "onnx2torch" in sys.modules:
        return sys.modules["onnx2torch"]
    try:
        importlib.import_module("torchvision.ops")
        return importlib.import_module("onnx2torch")
    except (ImportError, RuntimeError):  # absent, or built for another torch
        pass
    saved = {name: mod for name, mod in sys.modules.items()
             if name == "torchvision" or name.startswith("torchvision.")}
    for name in saved:
        del sys.modules[name]
    package, ops = _torchvision_placeholder()
    sys.modules["torchvision"], sys.modules["torchvision.ops"] = package, ops
    try:
        return importlib.import_module("onnx2torch")
    finally:
        for name in ("torchvision", "torchvision.ops"):
            sys.modules.pop(name, None)
        sys.modules.update(saved)


def _torchvision_placeholder() -> tuple[types.ModuleType, types.ModuleType]:
    def unavailable(*_args, **_kwargs):
        raise NotImplementedError(
            "this ONNX model uses NMS or RoiAlign, which need a torchvision matching the "
            "installed torch; fiqa's patch attacks support embedding models without them")

    package = types.ModuleType("torchvision")
    ops = types.ModuleType("torchvision.ops")
    ops.nms = ops.roi_align = ops.box_convert = unavailable
    package.ops = ops
    package.__fiqa_placeholder__ = True
    return package, ops


def torch_model(path: str | os.PathLike):
    """Convert the float form of an ONNX file to an eval-mode torch module.

    Weight-quantised graphs are dequantised first (:func:`fiqa.onnx_float.float_model`).
    Parameters are frozen (``requires_grad=False``); gradients still flow to the input.

    Examples
    --------
    >>> import torch
    >>> from fiqa.models import packaged_model
    >>> net = torch_model(packaged_model("sface").path)
    >>> net(torch.zeros(1, 3, 112, 112)).shape
    torch.Size([1, 128])
    """
    from fiqa.onnx_float import float_model

    onnx2torch = import_onnx2torch()
    module = onnx2torch.convert(float_model(onnx.load(str(path))))
    module.eval()
    for parameter in module.parameters():
        parameter.requires_grad_(False)
    return module


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
    import torch

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
