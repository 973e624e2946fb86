"""Train the ``UnifiedQualityScore`` network: a small CNN from scratch, torch on CPU.

Input: the 112 px ArcFace crop (the recognizer's own view of the face: fixed scale, so a
low-resolution face reads as a blurred one). Target: a recognition-utility label from
:mod:`fiqa.training.utility_labels`, as its rank among the training samples (0..1, mixed
over the label recognizers). The exported graph takes RGB crops as float 0..255 NCHW,
normalises them itself and returns the predicted utility in 0..1 (the share of training
samples with a lower label).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fiqa.training.torch_common import fit, predict


@dataclass(frozen=True)
class UtilityOptions:
    """Label, network and optimisation settings (all recorded in the model card).

    The network is seven 3x3 conv-BN-ReLU layers (four of stride 2; ``width`` channels
    first, doubling at each stride to ``8 * width``), global average pooling, dropout and
    one linear unit with a sigmoid. ``profile_repeats`` is how many times each CFP
    profile-view training sample (clean or degraded) is seen per epoch: profile views are
    about 4 % of the training samples but half of every CFP FP comparison.
    """

    label: str = "sdd"
    label_recognizers: tuple[str, ...] = ("sface", "dlib")
    epochs: int = 12
    batch_size: int = 64
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4
    width: int = 12
    dropout: float = 0.2
    seed: int = 0
    threads: int = 1
    profile_repeats: int = 1


def build_model(*, width: int = 12, dropout: float = 0.2):
    """A fresh :class:`UtilityNet` (random weights; nothing is downloaded)."""
    import torch

    def layer(c_in, c_out, stride):
        return [torch.nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False),
                torch.nn.BatchNorm2d(c_out), torch.nn.ReLU(inplace=True)]

    w = width
    layers = (layer(3, w, 2) + layer(w, 2 * w, 2) + layer(2 * w, 2 * w, 1) + layer(2 * w, 4 * w, 2)
              + layer(4 * w, 4 * w, 1) + layer(4 * w, 8 * w, 2) + layer(8 * w, 8 * w, 1))
    body = torch.nn.Sequential(*layers, torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
                               torch.nn.Dropout(dropout), torch.nn.Linear(8 * w, 1))
    return _net_class()(body)


def _net_class():
    import torch

    class UtilityNet(torch.nn.Module):
        """CNN on crops in 0..255; ``forward`` gives the predicted utility in 0..1."""

        def __init__(self, body):
            super().__init__()
            self.body = body

        def forward(self, crops):
            return torch.sigmoid(self.body(crops / 127.5 - 1.0)[:, 0])

    return UtilityNet


def _flip(batch, rng):
    """Mirror the whole batch half of the time (a face's utility does not change)."""
    import torch

    return torch.flip(batch, dims=(3,)) if rng.integers(2) else batch


def predict_utility(model, crops: np.ndarray, *, batch_size: int = 256) -> np.ndarray:
    """Predicted utility (0..1) from a torch model for (N, 112, 112, 3) uint8 crops."""
    model.eval()
    return predict(model, crops, batch_size=batch_size)


def train_utility_model(crops: np.ndarray, targets: np.ndarray, *,
                        val: tuple[np.ndarray, np.ndarray] | None = None,
                        options: UtilityOptions = UtilityOptions(), log=print):
    """Train from scratch; deterministic for a given ``options.seed`` and ``threads``.

    Returns the model (eval mode) and the per-epoch history (with ``val``: the Spearman
    correlation of prediction and target on the validation samples).
    """
    from fiqa.extras import require

    (torch,) = require("torch", purpose="training the UnifiedQualityScore model")
    from scipy.stats import spearmanr

    if len(targets) < options.batch_size:
        raise ValueError(f"need at least batch_size={options.batch_size} training samples, "
                         f"got {len(targets)}")
    torch.set_num_threads(options.threads)
    torch.manual_seed(options.seed)
    model = build_model(width=options.width, dropout=options.dropout).to(
        memory_format=torch.channels_last)

    def validate(model) -> dict:
        if val is None:
            return {}
        return {"val_spearman": float(spearmanr(predict_utility(model, val[0]), val[1])[0])}

    history = fit(model, crops, targets, epochs=options.epochs, batch_size=options.batch_size,
                  learning_rate=options.learning_rate, weight_decay=options.weight_decay,
                  seed=options.seed, loss_fn=torch.nn.MSELoss(), augment=_flip,
                  validate=validate, log=log)
    return model, history


def utility_targets(data: dict, *, label: str, recognizers, seed: int = 0) -> np.ndarray:
    """The training target of every sample: the labels of ``label`` (``"sdd"``,
    ``"sdd+norm:sface"``, ...; :func:`fiqa.training.utility_labels.label_terms`) mixed by
    rank (:func:`fiqa.training.utility_labels.mixed_rank` over the training samples); NaN
    for evaluation samples and samples without a face or an identity centre."""
    from fiqa.training.utility_labels import label_terms, mixed_rank, utility_label

    labelled = data["role"] != "eval"
    identity = np.char.add(np.char.add(data["source"], "/"), data["identity"])[labelled]
    reference = (data["ok"] & (data["perturbation"] == ""))[labelled]
    per_label = []
    for kind, name in label_terms(label, recognizers):
        values = np.full(len(labelled), np.nan)
        values[labelled] = utility_label(kind, data[f"emb_{name}"][labelled], identity,
                                         data["path"][labelled], reference,
                                         norms=data[f"norm_{name}"][labelled],
                                         **({"seed": seed} if kind == "sdd" else {}))
        per_label.append(values)
    return mixed_rank(per_label, data["role"] == "train")


def training_rows(data: dict, mask: np.ndarray, *, profile_repeats: int = 1) -> np.ndarray:
    """Indices of the samples in ``mask``, each CFP profile view repeated
    ``profile_repeats`` times (in place, so the order stays deterministic).

    Examples
    --------
    >>> data = {"source": np.array(["lfw", "cfp", "cfp"]),
    ...         "path": np.array(["lfw/a/1.jpg", "cfp/001/frontal/01.jpg", "cfp/001/profile/01.jpg"])}
    >>> training_rows(data, np.array([True, True, True]), profile_repeats=3).tolist()
    [0, 1, 2, 2, 2]
    """
    if profile_repeats < 1:
        raise ValueError(f"profile_repeats must be at least 1, got {profile_repeats}")
    rows = np.flatnonzero(mask)
    profile = (data["source"][rows] == "cfp") & (np.char.find(data["path"][rows], "/profile/") >= 0)
    return np.repeat(rows, np.where(profile, profile_repeats, 1))


def export_model(model, path) -> object:
    """Write the network as ONNX: input ``crops`` (N, 3, 112, 112) float RGB 0..255,
    output ``utility`` (N,) in 0..1."""
    import torch

    from fiqa.training.torch_common import export_onnx

    return export_onnx(model.to(memory_format=torch.contiguous_format), path, crop_size=112,
                       input_name="crops", output_name="utility")


def make_utility_model(data: dict, *, out_dir, options: UtilityOptions = UtilityOptions(),
                       log=print) -> tuple[object, dict]:
    """Label, train and export one model into ``out_dir/model.onnx``; returns the path and
    a summary (label, samples, history) for the card."""
    import time
    from pathlib import Path

    targets = utility_targets(data, label=options.label, recognizers=options.label_recognizers,
                              seed=options.seed)
    usable = np.isfinite(targets) & data["ok"]
    train = usable & (data["role"] == "train")
    val = usable & (data["role"] == "val")
    start = time.perf_counter()
    rows = training_rows(data, train, profile_repeats=options.profile_repeats)
    model, history = train_utility_model(data["crops"][rows], targets[rows],
                                         val=(data["crops"][val], targets[val]),
                                         options=options, log=log)
    path = export_model(model, Path(out_dir) / "model.onnx")
    summary = {"training_seconds": round(time.perf_counter() - start, 1),
               "samples": {"train": int(train.sum()), "val": int(val.sum()),
                           "train_with_repeats": len(rows)},
               "identities": {role: len(set(data["identity"][mask]))
                              for role, mask in (("train", train), ("val", val))},
               "training_history": history,
               "parameters": int(sum(p.numel() for p in model.parameters()))}
    return path, summary


#: Written into a new card; an existing card keeps its own text for these keys.
CARD_TEXT = {
    "licence": ("Weights trained by fiqa; the training images are LFW and CFP (research "
                "use), so use the weights for research and non-commercial work."),
    "source": "Trained from scratch by `fiqa train unified` (no pretrained weights).",
    "limitations": [],
}


def write_card(out_dir, *, model_path, summary: dict, options: UtilityOptions, data_options,
               command: str, data_description: str) -> dict:
    """Write ``card.json`` for a trained model; the figures already in an existing card
    (``metrics`` from ``benchmarks/unified_quality_eval.py --update-card`` and the
    ``label_comparison`` of training recipes, whose shipped row is these weights) are kept
    only if they were measured on the same weights."""
    from dataclasses import asdict
    from pathlib import Path

    from fiqa.models import file_sha256
    from fiqa.training.torch_common import save_card

    sha = file_sha256(model_path)
    card = {
        "name": "unified", "measure": "UnifiedQualityScore", "file": Path(model_path).name,
        "sha256": sha, "size_bytes": Path(model_path).stat().st_size,
        "input": {"tensor": "crops", "size": 112, "layout": "NCHW float32",
                  "crop": "the subject's 112x112 ArcFace crop (fiqa.face.align_face, the "
                          "SFace input), from the five YuNet landmarks",
                  "alignment": "similarity warp to the ArcFace template",
                  "colour": "RGB", "normalisation": "values 0..255; the graph computes "
                                                     "x / 127.5 - 1"},
        "output": {"tensor": "utility", "meaning": "predicted recognition utility: the rank "
                   "(0..1) of the face's label among the training samples"},
        "label": {"definition": options.label, "recognizers": list(options.label_recognizers),
                  "training_target": "mixed rank of the label over the label recognizers "
                                     "(fiqa.training.utility_labels.mixed_rank), MSE loss"},
        "scalar_mapping": {"form": "fiqa.measures.mapping.linear_scalar(raw, low=low, "
                                   "high=high)", "low": 0.0, "high": 1.0,
                           "meaning": "scalar = 100 x predicted rank among the training "
                                      "faces (half of them degraded copies)"},
        "architecture": {"network": "7 conv3x3-BN-ReLU layers, global average pooling, "
                                    "dropout, linear, sigmoid",
                         "parameters": summary["parameters"], **asdict(options)},
        "training_command": command,
        **{key: summary[key] for key in ("training_seconds", "training_history")},
        "data": {"description": data_description, "options": asdict(data_options),
                 "samples": summary["samples"], "identities": summary["identities"]},
    }
    return save_card(out_dir, card, CARD_TEXT, measured=("metrics", "label_comparison"))
