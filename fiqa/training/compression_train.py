"""Train the ``CompressionArtifacts`` network (EfficientNet from scratch, torch on CPU).

The network regresses SSIM through the stretched target ``t = -log10(1 - ssim + EPS)``
(untouched = 2.7, SSIM 0.99 = 1.9, 0.95 = 1.3, 0.8 = 0.7): the top of the SSIM range,
where clean and lightly compressed faces must be told apart, gets as much room as the
bottom. The exported ONNX graph takes RGB crops as float 0..255 NCHW, normalises them
itself and returns the predicted SSIM clipped to 0..1.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

#: Offset in the SSIM target stretch (sets how far apart untouched and SSIM 0.99 land).
EPS = 0.002


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


def ssim_to_target(ssim):
    """The regression target for an SSIM value (see the module docstring).

    Examples
    --------
    >>> round(float(ssim_to_target(1.0)), 3)
    2.699
    """
    return -np.log10(1.0 - np.asarray(ssim, np.float64) + EPS)


def build_model(*, crop_size: int, width: float = 0.5, depth: float = 0.5, dropout: float = 0.1):
    """A fresh :class:`CompressionNet` (random weights; nothing is downloaded)."""
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
    return _net_class()(backbone)


def _net_class():
    import torch

    class CompressionNet(torch.nn.Module):
        """EfficientNet on crops in 0..255; ``forward`` gives the stretched target,
        ``ssim`` the predicted SSIM."""

        def __init__(self, backbone):
            super().__init__()
            self.backbone = backbone

        def forward(self, crops):
            return self.backbone(crops / 127.5 - 1.0)[:, 0]

        def ssim(self, crops):
            return torch.clamp(1.0 + EPS - torch.pow(10.0, -self.forward(crops)), 0.0, 1.0)

    return CompressionNet


def _to_tensor(crops: np.ndarray):
    """uint8 NHWC -> float NCHW in channels-last memory (about 1.7x faster on CPU)."""
    import torch

    return (
        torch.from_numpy(np.ascontiguousarray(crops))
        .permute(0, 3, 1, 2)
        .float()
        .contiguous(memory_format=torch.channels_last)
    )


def predict_ssim(model, crops: np.ndarray, *, batch_size: int = 256) -> np.ndarray:
    """Predicted SSIM from a torch model for (N, size, size, 3) uint8 crops."""
    import torch

    model.eval()
    with torch.no_grad():
        out = [
            model.ssim(_to_tensor(crops[i : i + batch_size])).numpy()
            for i in range(0, len(crops), batch_size)
        ]
    return np.concatenate(out).astype(np.float64) if out else np.zeros(0)


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
        Per epoch: ``epoch``, ``loss``, ``seconds`` and, with ``val``, ``val_mae_ssim`` and
        ``val_spearman_ssim``.
    """
    import torch
    from scipy.stats import spearmanr

    if len(train["ssim"]) < options.batch_size:
        raise ValueError(
            f"need at least batch_size={options.batch_size} training samples, "
            f"got {len(train['ssim'])}"
        )
    torch.set_num_threads(options.threads)
    torch.manual_seed(options.seed)
    rng = np.random.default_rng(options.seed)
    crop_size = int(train["crops"].shape[1])
    model = build_model(
        crop_size=crop_size, width=options.width, depth=options.depth, dropout=options.dropout
    ).to(memory_format=torch.channels_last)
    targets = torch.from_numpy(ssim_to_target(train["ssim"]).astype(np.float32))
    steps = len(targets) // options.batch_size
    optimiser = torch.optim.AdamW(
        model.parameters(), lr=options.learning_rate, weight_decay=options.weight_decay
    )
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=options.learning_rate, total_steps=steps * options.epochs, pct_start=0.15
    )
    loss_fn = torch.nn.SmoothL1Loss(beta=0.1)
    history = []
    for epoch in range(1, options.epochs + 1):
        start, total = time.perf_counter(), 0.0
        model.train()
        order = rng.permutation(len(targets))
        for step in range(steps):
            index = np.sort(order[step * options.batch_size : (step + 1) * options.batch_size])
            batch = _dihedral(_to_tensor(train["crops"][index]), int(rng.integers(8)))
            loss = loss_fn(model(batch), targets[index])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += float(loss.detach())
        record = {"epoch": epoch, "loss": total / steps, "seconds": time.perf_counter() - start}
        if val is not None and len(val["ssim"]):
            predicted = predict_ssim(model, val["crops"])
            record["val_mae_ssim"] = float(np.mean(np.abs(predicted - val["ssim"])))
            record["val_spearman_ssim"] = float(spearmanr(predicted, val["ssim"])[0])
        history.append(record)
        log(
            " ".join(
                f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in record.items()
            )
        )
    model.eval()
    return model, history


def export_onnx(model, path: str | os.PathLike, *, crop_size: int) -> Path:
    """Write ``model.ssim`` as ONNX (opset 17): input ``crops`` (N, 3, size, size) float
    RGB 0..255, output ``ssim`` (N,); the batch axis is dynamic."""
    import io
    import warnings

    import torch

    class _Ssim(torch.nn.Module):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, crops):
            return self.net.ssim(crops)

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _Ssim(model.to(memory_format=torch.contiguous_format)).eval(),
            torch.zeros(2, 3, crop_size, crop_size),
            buffer,
            input_names=["crops"],
            output_names=["ssim"],
            opset_version=17,
            dynamic_axes={"crops": {0: "batch"}, "ssim": {0: "batch"}},
            dynamo=False,
        )
    path.write_bytes(buffer.getvalue())
    return path


def scalar_width(threshold: float) -> float:
    """Sigmoid width so that an untouched face (SSIM 1) maps to a scalar of about 95."""
    return (1.0 - threshold) / math.log(19.0)


#: The issue's targets, recorded in the card beside the measured values.
TARGETS = {"eer_per_codec_max": 0.02, "spearman_ssim_min": 0.94, "ms_per_face_max": 5.0}

#: Written into a new card; an existing card keeps its own text for these keys.
CARD_TEXT = {
    "licence": (
        "Weights trained by fiqa; the training images are FFHQ (CC BY-NC-SA 4.0), LFW and "
        "CFP (research use), so use the weights for research and non-commercial work."
    ),
    "source": "Trained from scratch by `fiqa train compression` (no pretrained weights).",
    "limitations": [],
}


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
    """Generate (or load) the data, train, export ``model.onnx``, evaluate on the test
    identities and write ``card.json`` into ``out_dir``; returns the card.

    An existing ``card.json`` in ``out_dir`` keeps its ``licence``, ``source`` and
    ``limitations`` text; every measured field is replaced.
    """
    import json

    from fiqa.extras import require
    from fiqa.models import file_sha256
    from fiqa.training.compression_data import DataOptions, compression_dataset, subset

    require("torch", "efficientnet_pytorch", purpose="training the compression model")
    from fiqa.training.compression_eval import (
        CLEAN_SSIM,
        VISIBLE_SSIM,
        eer_threshold,
        evaluate_compression,
    )

    data_options = data_options or DataOptions()
    start = time.perf_counter()
    data = compression_dataset(
        data_dir, cache_dir=cache_dir, options=data_options, workers=workers, progress=True
    )
    data_seconds = time.perf_counter() - start
    train, val, test = (subset(data, data["split"] == name) for name in ("train", "val", "test"))
    start = time.perf_counter()
    model, history = train_compression_model(train, val=val, options=options, log=log)
    train_seconds = time.perf_counter() - start
    out_dir = Path(out_dir)
    model_path = export_onnx(model, out_dir / "model.onnx", crop_size=data_options.crop_size)
    threshold = eer_threshold(predict_ssim(model, val["crops"]), val["ssim"])
    table = evaluate_compression(test, val, model_path=model_path, model_threshold=threshold)
    card_path = out_dir / "card.json"
    previous = json.loads(card_path.read_text()) if card_path.is_file() else {}
    card = {
        "name": "compression",
        "measure": "CompressionArtifacts",
        "file": model_path.name,
        "sha256": file_sha256(model_path),
        "size_bytes": model_path.stat().st_size,
        "input": {
            "tensor": "crops",
            "size": data_options.crop_size,
            "layout": "NCHW float32",
            "crop": (
                f"{data_options.crop_size}x{data_options.crop_size} px cut from the image at "
                "its native scale, centred on the mean of the five landmarks (nearest "
                "pixel); edge pixels repeated where it leaves the image"
            ),
            "alignment": (
                "translation only: no scaling, rotation or interpolation, so JPEG "
                "blocks and JPEG 2000 ringing reach the network intact "
                "(fiqa.measures.compression.compression_crop)"
            ),
            "colour": "RGB",
            "normalisation": "values 0..255; the graph computes x / 127.5 - 1",
        },
        "output": {
            "tensor": "ssim",
            "meaning": "predicted SSIM of the crop against its "
            "uncompressed original, clipped to 0..1 (1 = untouched)",
        },
        "label": {
            "definition": (
                "SSIM (skimage.metrics.structural_similarity, channel_axis=2, "
                "data_range=255, 7x7 uniform window) between the model's crop of the "
                "decoded image and the same crop of the clean reference"
            ),
            "training_target": f"-log10(1 - SSIM + {EPS}) with SmoothL1 loss (beta 0.1)",
            "detection_classes": {
                "clean": f"SSIM >= {CLEAN_SSIM}",
                "visibly_compressed": f"SSIM < {VISIBLE_SSIM}",
            },
        },
        "scalar_mapping": {
            "form": "fiqa.measures.mapping.sigmoid_scalar(raw, x0=x0, w=w)",
            "x0": round(threshold, 5),
            "w": round(scalar_width(threshold), 5),
            "meaning": (
                "x0 = equal-error threshold between clean and visibly compressed on the "
                "validation identities (scalar 50); w puts an untouched face near 95"
            ),
        },
        "architecture": {
            "backbone": "efficientnet-pytorch EfficientNet (B0 block layout)",
            "parameters": int(sum(p.numel() for p in model.parameters())),
            **asdict(options),
        },
        "training_command": command,
        "training_seconds": round(train_seconds, 1),
        "data_seconds": round(data_seconds, 1),
        "training_history": history,
        "data": {
            "description": _data_description(),
            "options": asdict(data_options),
            "samples": {
                name: len(part["ssim"])
                for name, part in (("train", train), ("val", val), ("test", test))
            },
            "identities": {
                name: len(set(part["identity"]))
                for name, part in (("train", train), ("val", val), ("test", test))
            },
        },
        "metrics": {
            "evaluation": "held-out test identities; `fiqa eval compression`",
            "table": json.loads(table.to_json(orient="records")),
        },
    }
    for key, default in CARD_TEXT.items():
        card[key] = previous.get(key, default)
    pooled = table[(table["scorer"] == "cnn") & (table["band"] == "all")].set_index("codec")
    card["metrics"]["targets"] = {
        **TARGETS,
        "measured": {
            f"{metric}_{codec}": round(float(pooled.loc[codec, metric]), 4)
            for codec in pooled.index
            for metric in ("eer", "spearman_ssim")
        },
        "verdict": previous.get("metrics", {}).get("targets", {}).get("verdict", ""),
    }
    if "speed" in previous.get("metrics", {}):
        card["metrics"]["speed"] = previous["metrics"]["speed"]
    card_path.write_text(json.dumps(card, indent=1) + "\n")
    return card


def _data_description() -> str:
    from fiqa.training import compression_data

    return " ".join(compression_data.__doc__.split())
