"""The ``card.json`` of a trained compression model, built from its files alone.

:func:`write_card` takes the exported ``model.onnx``, the generated dataset and the run
record that :func:`fiqa.training.compression_train.make_compression_model` writes to
``training.json``; it evaluates the model on the held-out identities and writes the card
beside the model. Hand-written text of an existing card (limitations, licence, the
targets' verdict, the speed runs, the label-variant comparison) is kept.

The 0-100 scalar (:func:`scalar_mapping`) is anchored to what compression does to face
recognition, not to visibility: scalar 50 at the label level where recognition starts to
suffer (:data:`SCALAR_ANCHORS`, measured by ``benchmarks/compression_harm.py``) and 90 at
the level of an ordinary photograph's compression. The detection operating point between
clean and visibly compressed (the validation equal-error threshold) is stored separately
under ``detection``.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

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

#: Per label: (level at scalar 50, level at scalar 90). See :func:`scalar_mapping`. SSIM:
#: on LFW probes FNMR at FMR 1e-3 rises from 0.5 % (clean) to 5 % at JPEG q15 and JPEG 2000
#: ratio 50, where the model's median prediction is 0.88 and 0.91 (``benchmarks/
#: compression_harm.py``, ``benchmarks/stress_sweep.py``); 0.96 is its median on CFP
#: frontal photographs as distributed (q~75) and on LFW re-compressed at q50 (FNMR 1.5 %).
#: PSNR: the medians of the same conditions (30-31.5 dB at the harm point, 34-36 dB for
#: q50 re-compression).
SCALAR_ANCHORS = {"ssim": (0.90, 0.96), "psnr": (30.5, 35.5)}

_LABEL_TEXT = {
    "ssim": {
        "output": "predicted SSIM of the crop against its uncompressed original, clipped "
        "to 0..1 (1 = untouched)",
        "definition": "SSIM (skimage.metrics.structural_similarity, channel_axis=2, "
        "data_range=255, 7x7 uniform window) between the model's crop of the decoded "
        "image and the same crop of the clean reference",
        "training_target": "-log10(1 - SSIM + {eps}) with SmoothL1 loss (beta 0.1)",
    },
    "psnr": {
        "output": "predicted PSNR (dB) of the crop against its uncompressed original, "
        "clipped to 0..{cap:g} ({cap:g} = untouched)",
        "definition": "PSNR (skimage.metrics.peak_signal_noise_ratio, data_range=255, "
        "over the three colour channels) between the model's crop of the decoded image "
        "and the same crop of the clean reference",
        "training_target": "min(PSNR, {cap:g}) / 10 with SmoothL1 loss (beta 0.1)",
    },
}


def scalar_mapping(label: str = "ssim") -> dict:
    """The card's ``scalar_mapping`` for a label: sigmoid through the two anchors.

    Examples
    --------
    >>> from fiqa.measures.mapping import sigmoid_scalar
    >>> m = scalar_mapping("ssim")
    >>> [round(float(sigmoid_scalar(v, x0=m["x0"], w=m["w"]))) for v in SCALAR_ANCHORS["ssim"]]
    [50, 90]
    """
    harm, ordinary = SCALAR_ANCHORS[label]
    return {
        "form": "fiqa.measures.mapping.sigmoid_scalar(raw, x0=x0, w=w)",
        "x0": harm,
        "w": round((ordinary - harm) / math.log(9.0), 6),
        "anchors": {"scalar_50": harm, "scalar_90": ordinary},
        "meaning": (
            f"scalar 50 at predicted {label.upper()} {harm:g}, where face recognition starts "
            "to suffer (SFace FNMR ~10x its clean value on LFW: JPEG q15, JPEG 2000 ratio "
            f"50); 90 at {ordinary:g}, an ordinary q~75 JPEG photograph (CFP as "
            "distributed, LFW re-compressed at q50); measured by "
            "benchmarks/compression_harm.py and benchmarks/stress_sweep.py"
        ),
    }


def _card_input(crop_size: int) -> dict:
    return {
        "tensor": "crops",
        "size": crop_size,
        "layout": "NCHW float32",
        "crop": (
            f"{crop_size}x{crop_size} px cut from the image at its native scale, centred on "
            "the mean of the five landmarks (nearest pixel); edge pixels repeated where it "
            "leaves the image"
        ),
        "alignment": (
            "translation only: no scaling, rotation or interpolation, so JPEG blocks and "
            "JPEG 2000 ringing reach the network intact "
            "(fiqa.measures.compression.compression_crop)"
        ),
        "colour": "RGB",
        "normalisation": "values 0..255; the graph computes x / 127.5 - 1",
    }


def _card_label(label: str) -> dict:
    from fiqa.training.compression_eval import CLEAN_SSIM, VISIBLE_SSIM
    from fiqa.training.compression_train import EPS, PSNR_TARGET_CAP_DB

    text = {k: v.format(eps=EPS, cap=PSNR_TARGET_CAP_DB) for k, v in _LABEL_TEXT[label].items()}
    output = {"tensor": label, "meaning": text.pop("output")}
    classes = {"clean": f"SSIM >= {CLEAN_SSIM}", "visibly_compressed": f"SSIM < {VISIBLE_SSIM}"}
    return {"output": output, "label": {"name": label, **text, "detection_classes": classes}}


def _targets(table, previous: dict) -> dict:
    pooled = table[(table["scorer"] == "cnn") & (table["band"] == "all")].set_index("codec")
    return {
        **TARGETS,
        "measured": {
            f"{metric}_{codec}": round(float(pooled.loc[codec, metric]), 4)
            for codec in pooled.index
            for metric in ("eer", "spearman_ssim")
        },
        "verdict": previous.get("metrics", {}).get("targets", {}).get("verdict", ""),
    }


def _data_section(data: dict[str, np.ndarray], data_options: dict) -> dict:
    from fiqa.training import compression_data

    parts = {name: data["split"] == name for name in ("train", "val", "test")}
    return {
        "description": " ".join(compression_data.__doc__.split()),
        "options": data_options,
        "samples": {name: int(mask.sum()) for name, mask in parts.items()},
        "identities": {name: len(set(data["identity"][mask])) for name, mask in parts.items()},
    }


def write_card(model_path: str | os.PathLike, *, data: dict[str, np.ndarray], run: dict) -> dict:
    """Evaluate ``model_path`` on ``data``'s test identities and write ``card.json`` beside it.

    ``run`` is the ``training.json`` record (command, seconds, options, history).
    """
    from fiqa.models import file_sha256
    from fiqa.training.compression_data import subset
    from fiqa.training.compression_eval import eer_threshold, evaluate_compression, onnx_predictor

    model_path = Path(model_path)
    label = run["options"].get("label", "ssim")
    val, test = (subset(data, data["split"] == name) for name in ("val", "test"))
    threshold = eer_threshold(onnx_predictor(model_path)(val["crops"]), val["ssim"])
    table = evaluate_compression(test, val, model_path=model_path, model_threshold=threshold)
    card_path = model_path.with_name("card.json")
    previous = json.loads(card_path.read_text()) if card_path.is_file() else {}
    card = {
        "name": "compression",
        "measure": "CompressionArtifacts",
        "file": model_path.name,
        "sha256": file_sha256(model_path),
        "size_bytes": model_path.stat().st_size,
        "input": _card_input(int(run["data_options"]["crop_size"])),
        **_card_label(label),
        "scalar_mapping": scalar_mapping(label),
        "detection": {
            "threshold": round(threshold, 5),
            "meaning": "equal-error threshold between clean and visibly compressed on the "
            "validation identities (the operating point of the metrics' error columns)",
        },
        "architecture": {
            "backbone": "efficientnet-pytorch EfficientNet (B0 block layout)",
            "parameters": run["parameters"],
            **run["options"],
        },
        **{key: run[key] for key in ("training_command", "training_seconds", "data_seconds")},
        "training_history": run["training_history"],
        "data": _data_section(data, run["data_options"]),
        "metrics": {
            "evaluation": "held-out test identities; `fiqa eval compression`",
            "table": json.loads(table.to_json(orient="records")),
            "targets": _targets(table, previous),
        },
    }
    for key in ("speed", "label_variants"):
        if key in previous.get("metrics", {}):
            card["metrics"][key] = previous["metrics"][key]
    for key, default in CARD_TEXT.items():
        card[key] = previous.get(key, default)
    card_path.write_text(json.dumps(card, indent=1) + "\n")
    return card


def rebuild_card(out_dir: str | os.PathLike, *, data_dir, cache_dir) -> dict:
    """:func:`write_card` again from ``out_dir``'s ``model.onnx`` and ``training.json``."""
    from fiqa.training.compression_data import DataOptions, compression_dataset

    out_dir = Path(out_dir)
    run = json.loads((out_dir / "training.json").read_text())
    options = DataOptions(**run["data_options"])
    data = compression_dataset(data_dir, cache_dir=cache_dir, options=options)
    return write_card(out_dir / "model.onnx", data=data, run=run)

