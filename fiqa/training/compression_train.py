"""Train the ``CompressionArtifacts`` network (EfficientNet from scratch, torch on CPU).

Two label variants (:data:`LABELS`), trained on the same crops:

* ``ssim``: the network regresses SSIM through the stretched target
  ``t = -log10(1 - ssim + EPS)`` (untouched = 2.7, SSIM 0.99 = 1.9, 0.95 = 1.3,
  0.8 = 0.7): the top of the SSIM range, where clean and lightly compressed faces must be
  told apart, gets as much room as the bottom. Output: predicted SSIM, 0..1.
* ``psnr``: the target is ``min(psnr, PSNR_TARGET_CAP_DB) / 10`` (PSNR is already
  logarithmic in the error; identical crops, PSNR infinite, sit at the cap). Output:
  predicted PSNR in dB, 0..cap.

The exported ONNX graph takes RGB crops as float 0..255 NCHW, normalises them itself and
returns the prediction in the label's units (output tensor named after the label).
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from fiqa.training.torch_common import export_onnx as export_graph
from fiqa.training.torch_common import fit, predict

#: Offset in the SSIM target stretch (sets how far apart untouched and SSIM 0.99 land).
EPS = 0.002
#: PSNR (dB) at and above which crops count as untouched in the ``psnr`` target.
PSNR_TARGET_CAP_DB = 60.0
#: The label variants; the card's ``output`` and ``label`` fields name the one trained.
LABELS = ("ssim", "psnr")


@dataclass(frozen=True)
class TrainOptions:
    """Network size and optimisation settings (all recorded in the model card).

    The backbone is EfficientNet-B0's block layout scaled by ``width`` (channels) and
    ``depth`` (repeats), with 1 output.
    """

    epochs: int = 12
    batch_size: int = 64
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4
    width: float = 0.5
    depth: float = 0.5
    dropout: float = 0.1
    seed: int = 0
    threads: int = 1
    label: str = "ssim"

    def __post_init__(self):
        if self.label not in LABELS:
            raise ValueError(f"unknown label {self.label!r}; choose from {LABELS}")


def label_to_target(values, *, label: str = "ssim"):
    """The regression target for label values (``"ssim"`` or ``"psnr"`` dB).

    Examples
    --------
    >>> label_to_target([30.0, 100.0], label="psnr").tolist()
    [3.0, 6.0]
    """
    if label == "psnr":
        return np.minimum(np.asarray(values, np.float64), PSNR_TARGET_CAP_DB) / 10.0
    return ssim_to_target(values)


def ssim_to_target(ssim):
    """The regression target for an SSIM value (see the module docstring).

    Examples
    --------
    >>> round(float(ssim_to_target(1.0)), 3)
    2.699
    """
    return -np.log10(1.0 - np.asarray(ssim, np.float64) + EPS)


def build_model(
    *,
    crop_size: int,
    width: float = 0.5,
    depth: float = 0.5,
    dropout: float = 0.1,
    label: str = "ssim",
):
    """A fresh :class:`CompressionNet` for ``label`` (random weights; nothing is downloaded)."""
    from efficientnet_pytorch import EfficientNet
    from efficientnet_pytorch.utils import efficientnet

    blocks, params = efficientnet(
        width_coefficient=width,
        depth_coefficient=depth,
        image_size=crop_size,
        dropout_rate=dropout,
        drop_connect_rate=dropout,
        num_classes=1,
    )
    # TF-style momentum 0.9 (torch 0.1): running statistics settle within a short run
    backbone = EfficientNet(blocks, params._replace(batch_norm_momentum=0.9))
    backbone.set_swish(memory_efficient=False)  # the plain form exports to ONNX
    return _net_class()(backbone, label)


def _net_class():
    import torch

    class CompressionNet(torch.nn.Module):
        """EfficientNet on crops in 0..255; ``forward`` gives the stretched target,
        ``predict`` the label (SSIM 0..1 or PSNR dB)."""

        def __init__(self, backbone, label: str):
            super().__init__()
            self.backbone = backbone
            self.label = label

        def forward(self, crops):
            return self.backbone(crops / 127.5 - 1.0)[:, 0]

        def predict(self, crops):
            target = self.forward(crops)
            if self.label == "psnr":
                return torch.clamp(10.0 * target, 0.0, PSNR_TARGET_CAP_DB)
            return torch.clamp(1.0 + EPS - torch.pow(10.0, -target), 0.0, 1.0)

    return CompressionNet


def predict_label(model, crops: np.ndarray, *, batch_size: int = 256) -> np.ndarray:
    """A torch model's prediction (its label's units) for (N, size, size, 3) uint8 crops."""
    model.eval()
    return predict(model.predict, crops, batch_size=batch_size)


def _dihedral(batch, code: int):
    """One of the 8 flips/rotations: SSIM of a crop pair is unchanged by all of them."""
    import torch

    if code & 4:
        batch = torch.flip(batch, dims=(3,))
    return torch.rot90(batch, k=code & 3, dims=(2, 3))


def train_compression_model(
    train: dict[str, np.ndarray],
    *,
    val: dict[str, np.ndarray] | None = None,
    options: TrainOptions = TrainOptions(),
    log=print,
):
    """Train from scratch on ``train`` (arrays from :mod:`fiqa.training.compression_data`).

    Deterministic for a given ``options.seed`` and ``options.threads``.

    Returns
    -------
    model : CompressionNet
        In eval mode.
    history : list of dict
        Per epoch: ``epoch``, ``loss``, ``seconds`` and, with ``val``, ``val_mae`` (in the
        label's units), ``val_spearman_ssim`` and ``val_spearman_psnr``.
    """
    import torch
    from scipy.stats import spearmanr

    label = options.label
    if len(train[label]) < options.batch_size:
        raise ValueError(
            f"need at least batch_size={options.batch_size} training samples, "
            f"got {len(train[label])}"
        )
    torch.set_num_threads(options.threads)
    torch.manual_seed(options.seed)
    crop_size = int(train["crops"].shape[1])
    model = build_model(
        crop_size=crop_size,
        width=options.width,
        depth=options.depth,
        dropout=options.dropout,
        label=label,
    ).to(memory_format=torch.channels_last)

    def validate(model) -> dict:
        if val is None or not len(val[label]):
            return {}
        predicted = predict_label(model, val["crops"])
        record = {"val_mae": float(np.mean(np.abs(predicted - val[label])))}
        for name in LABELS:
            record[f"val_spearman_{name}"] = float(spearmanr(predicted, val[name])[0])
        return record

    history = fit(model, train["crops"], label_to_target(train[label], label=label),
                  epochs=options.epochs, batch_size=options.batch_size,
                  learning_rate=options.learning_rate, weight_decay=options.weight_decay,
                  seed=options.seed, loss_fn=torch.nn.SmoothL1Loss(beta=0.1),
                  augment=lambda batch, rng: _dihedral(batch, int(rng.integers(8))),
                  validate=validate, log=log)
    return model, history


def export_onnx(model, path: str | os.PathLike, *, crop_size: int) -> Path:
    """Write ``model.predict`` as ONNX (opset 17): input ``crops`` (N, 3, size, size) float
    RGB 0..255, output named after the label (N,); the batch axis is dynamic."""
    import torch

    class _Predict(torch.nn.Module):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, crops):
            return self.net.predict(crops)

    return export_graph(_Predict(model.to(memory_format=torch.contiguous_format)), path,
                        crop_size=crop_size, input_name="crops", output_name=model.label)


def make_compression_model(
    data_dir: str | os.PathLike,
    *,
    out_dir: str | os.PathLike,
    cache_dir: str | os.PathLike,
    data_options=None,
    options: TrainOptions = TrainOptions(),
    workers: int = 1,
    command: str = "",
    log=print,
) -> dict:
    """Generate (or load) the data, train, export ``model.onnx``, record the run in
    ``training.json`` and write ``card.json`` into ``out_dir``; returns the card.

    The card (:func:`fiqa.training.compression_card.write_card`) is built from the files
    alone, so it can be rebuilt without retraining.
    """
    import json

    from fiqa.extras import require
    from fiqa.training.compression_card import write_card
    from fiqa.training.compression_data import DataOptions, compression_dataset, subset

    require("torch", "efficientnet_pytorch", purpose="training the compression model")

    data_options = data_options or DataOptions()
    start = time.perf_counter()
    data = compression_dataset(
        data_dir, cache_dir=cache_dir, options=data_options, workers=workers, progress=True
    )
    data_seconds = time.perf_counter() - start
    train, val = (subset(data, data["split"] == name) for name in ("train", "val"))
    start = time.perf_counter()
    model, history = train_compression_model(train, val=val, options=options, log=log)
    out_dir = Path(out_dir)
    model_path = export_onnx(model, out_dir / "model.onnx", crop_size=data_options.crop_size)
    run = {
        "training_command": command,
        "training_seconds": round(time.perf_counter() - start, 1),
        "data_seconds": round(data_seconds, 1),
        "parameters": int(sum(p.numel() for p in model.parameters())),
        "options": asdict(options),
        "data_options": asdict(data_options),
        "training_history": history,
    }
    (out_dir / "training.json").write_text(json.dumps(run, indent=1) + "\n")
    return write_card(model_path, data=data, run=run)
