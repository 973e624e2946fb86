"""Adversarial patches against the face recognizer, evaluated black-box at a fixed FMR.

Modules: :mod:`~attacks.patch.onnx_torch` (ONNX -> torch with a parity check),
:mod:`~attacks.patch.recognizer` (differentiable alignment + embedding),
:mod:`~attacks.patch.regions` (landmark-anchored patch regions),
:mod:`~attacks.patch.transforms` (expectation over transformation),
:mod:`~attacks.patch.optimise` (:class:`PatchAttack`),
:mod:`~attacks.patch.evaluate` (PNG round trip through the normal pipeline) and
:mod:`~attacks.patch.run` (the ``fiqa attack patch`` workflow).
"""

from fiqa.extras import require

require("torch", purpose="adversarial patches (fiqa attack patch)")
