"""Train the face-occlusion network: which pixels of a face crop are hidden by something.

Input: the subject's 112 px ArcFace crop (:func:`fiqa.face.align_face`, the crop SFace and
the UnifiedQualityScore see). Output: per pixel, the probability that the face is hidden
there by an occluder (sunglasses, a hand, hair, an object, a hat, a mask). Labels are
synthetic (:mod:`fiqa.training.occlusion_synth`): clean crops of the development data with
occluders drawn over them, fresh draws for every copy, split by identity.

The network is a small U-Net: a stride-2 stem to 56 px, three stride-2 stages to 7 px,
and a decoder back to 56 px with skip connections; the exported graph normalises RGB
0..255 input itself, upsamples the logits to 112 px and returns probabilities.
"""

from __future__ import annotations

import csv
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from fiqa.training.occlusion_synth import SIZE, occluded_sample
from fiqa.training.torch_common import fit, predict, save_card
from fiqa.training.utility_data import validation_identity


@dataclass(frozen=True)
class OcclusionDataOptions:
    """Which clean crops are used and how many occluded copies each gives (in the card)."""

    seed: int = 0
    lfw_people: int = 1500
    images_per_person: int = 2
    cfp_frontal_per_person: int = 4
    copies: int = 3
    clean_share: float = 0.2


@dataclass(frozen=True)
class OcclusionTrainOptions:
    """Network and optimisation settings (in the card)."""

    epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4
    width: int = 12
    seed: int = 0
    threads: int = 1


def is_validation(source: str, identity: str) -> bool:
    """True for the ~10 % of identities kept for validation (the occlusion model's own
    split, :func:`fiqa.training.utility_data.validation_identity`)."""
    return validation_identity(source, identity, purpose="occlusion")


def excluded_paths(files: list[str | os.PathLike]) -> set[str]:
    """Data-relative image paths (column ``path``) of CSV files to keep out of training,
    e.g. the hand-labelled validation list."""
    paths: set[str] = set()
    for file in files:
        with open(file, newline="") as handle:
            reader = csv.DictReader(handle)
            if "path" not in (reader.fieldnames or ()):
                raise ValueError(f"{file}: an exclude list needs a 'path' column (image paths "
                                 f"relative to the data folder), found {reader.fieldnames}")
            paths |= {row["path"] for row in reader}
    return paths


def base_photos(data_dir: str | os.PathLike, options: OcclusionDataOptions, *,
                exclude: set[str] = frozenset()) -> list[tuple[str, str, str]]:
    """(data-relative path, source, identity) of the clean photographs used: faces-hq,
    CFP frontal views and LFW people evenly spaced in alphabetical order. Every identity
    with a photograph in ``exclude`` is left out entirely."""
    root = Path(data_dir)
    missing = [name for name in ("faces-hq", "cfp", "lfw") if not (root / name).is_dir()]
    if missing:
        raise ValueError(f"occlusion training needs faces-hq/, cfp/ and lfw/ under {root}; "
                         f"missing: {', '.join(missing)} (set --data-dir or FIQA_DATA_DIR)")
    skip = {tuple(path.split("/")[:2]) for path in exclude}
    photos = [(f"faces-hq/{p.name}", "faces-hq", p.stem)
              for p in sorted((root / "faces-hq").glob("*.png"))]
    for person in sorted(p for p in (root / "cfp").iterdir() if p.is_dir()):
        if ("cfp", person.name) not in skip:
            photos += [(f"cfp/{person.name}/frontal/{p.name}", "cfp", person.name)
                       for p in sorted((person / "frontal").glob("*.jpg"))
                       [:options.cfp_frontal_per_person]]
    people = [p for p in sorted((root / "lfw").iterdir()) if p.is_dir() and ("lfw", p.name) not in skip]
    picks = np.unique(np.linspace(0, len(people) - 1, min(options.lfw_people, len(people)))
                      .round().astype(int))
    for person in (people[i] for i in picks):
        photos += [(f"lfw/{person.name}/{p.name}", "lfw", person.name)
                   for p in sorted(person.glob("*.jpg"))[:options.images_per_person]]
    return photos


def clean_crops(data_dir: str | os.PathLike, photos, *, log=print) -> tuple[np.ndarray, np.ndarray]:
    """ArcFace crops (N, 112, 112, 3) of the subject (largest face) of each photograph,
    through :class:`fiqa.pipeline.FacePipeline` (no measures), and a mask of the
    photographs where a face was found."""
    from fiqa.context import FaceContext
    from fiqa.pipeline import Item, PipelineSpec

    pipeline = PipelineSpec(measures=(), recognizers=()).build()
    crops, found, chunk = [], [], 250
    for start in range(0, len(photos), chunk):
        paths = [str(Path(data_dir) / path) for path, _, _ in photos[start:start + chunk]]
        for record in pipeline.run([Item(path, path=path, keep_image=True) for path in paths]):
            found.append(record.subject is not None)
            if record.subject is not None:
                context = FaceContext.build(record.image, record.faces, subject=record.subject)
                crops.append(context.arcface(size=SIZE))
        log(f"cropped {len(found)} of {len(photos)} photographs")
    return np.stack(crops), np.array(found)


def synthetic_set(crops: np.ndarray, *, copies: int, seed: int,
                  clean_share: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """``copies`` occluded versions of every crop (donor textures from other crops of the
    same set): images (N*copies, 112, 112, 3) uint8 and labels (N*copies, 112, 112) uint8.
    Deterministic for a given ``seed``."""
    rng = np.random.default_rng(seed)
    images = np.empty((len(crops) * copies, SIZE, SIZE, 3), np.uint8)
    labels = np.empty((len(crops) * copies, SIZE, SIZE), np.uint8)
    for copy in range(copies):
        donors = rng.permutation(len(crops))
        for index, crop in enumerate(crops):
            row = copy * len(crops) + index
            images[row], labels[row] = occluded_sample(crop, crops[donors[index]], rng,
                                                       clean_share=clean_share)
    return images, labels


def build_model(*, width: int = 12):
    """A fresh :class:`OcclusionNet` (random weights; nothing is downloaded)."""
    import torch
    from torch import nn

    def block(c_in, c_out, stride=1):
        return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False),
                             nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))

    w = width

    class OcclusionNet(nn.Module):
        """U-Net on crops in 0..255; ``forward`` gives logits at 56 px (N, 56, 56)."""

        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(block(3, w, 2), block(w, w))              # 56
            self.down1 = nn.Sequential(block(w, 2 * w, 2), block(2 * w, 2 * w))  # 28
            self.down2 = nn.Sequential(block(2 * w, 4 * w, 2), block(4 * w, 4 * w))  # 14
            self.down3 = nn.Sequential(block(4 * w, 4 * w, 2), block(4 * w, 4 * w))  # 7
            self.up2 = block(8 * w, 4 * w)
            self.up1 = block(6 * w, 2 * w)
            self.up0 = block(3 * w, w)
            self.head = nn.Conv2d(w, 1, 1)

        @staticmethod
        def _up(x, like):
            return torch.nn.functional.interpolate(x, size=like.shape[-2:], mode="bilinear",
                                                   align_corners=False)

        def forward(self, crops):
            s0 = self.stem(crops / 127.5 - 1.0)
            s1 = self.down1(s0)
            s2 = self.down2(s1)
            s3 = self.down3(s2)
            x = self.up2(torch.cat([self._up(s3, s2), s2], 1))
            x = self.up1(torch.cat([self._up(x, s1), s1], 1))
            x = self.up0(torch.cat([self._up(x, s0), s0], 1))
            return self.head(x)[:, 0]

    return OcclusionNet()


def _probabilities(model):
    """The exported form: crops (N, 3, 112, 112) 0..255 -> probabilities (N, 112, 112)."""
    import torch

    class Probabilities(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = model

        def forward(self, crops):
            logits = torch.nn.functional.interpolate(self.net(crops)[:, None], size=(SIZE, SIZE),
                                                     mode="bilinear", align_corners=False)
            return torch.sigmoid(logits[:, 0])

    return Probabilities()


def half_resolution(labels: np.ndarray) -> np.ndarray:
    """Labels (N, 112, 112) 0/1 -> soft targets (N, 56, 56), the share of each 2x2 block."""
    return labels.reshape(len(labels), SIZE // 2, 2, SIZE // 2, 2).mean((2, 4), dtype=np.float32)


def mask_iou(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """Intersection over union of ``probabilities > 0.5`` and the labels, over all pixels."""
    predicted, truth = probabilities > 0.5, labels > 0
    union = (predicted | truth).sum()
    return float((predicted & truth).sum() / union) if union else 1.0


def predict_occlusion(model, crops: np.ndarray, *, batch_size: int = 64) -> np.ndarray:
    """Occlusion probabilities (N, 112, 112) from a torch model for uint8 crops."""
    model.eval()
    return predict(_probabilities(model), crops, batch_size=batch_size)


def train_occlusion_model(images: np.ndarray, labels: np.ndarray, *, val=None,
                          options: OcclusionTrainOptions = OcclusionTrainOptions(), log=print):
    """Train from scratch on synthetic pairs; deterministic for a seed and thread count.
    Returns the model (eval mode) and the per-epoch history (``val_iou`` with ``val``)."""
    from fiqa.extras import require

    (torch,) = require("torch", purpose="training the face-occlusion model")
    torch.set_num_threads(options.threads)
    torch.manual_seed(options.seed)
    model = build_model(width=options.width).to(memory_format=torch.channels_last)
    loss = torch.nn.BCEWithLogitsLoss()

    def validate(model) -> dict:
        return {} if val is None else {"val_iou": mask_iou(predict_occlusion(model, val[0]), val[1])}

    history = fit(model, images, half_resolution(labels), epochs=options.epochs,
                  batch_size=options.batch_size, learning_rate=options.learning_rate,
                  weight_decay=options.weight_decay, seed=options.seed, loss_fn=loss,
                  validate=validate, log=log)
    return model, history


def export_model(model, path) -> Path:
    """Write the network as ONNX: input ``crops`` (N, 3, 112, 112) float RGB 0..255,
    output ``occlusion`` (N, 112, 112) probabilities."""
    import torch

    from fiqa.training.torch_common import export_onnx

    return export_onnx(_probabilities(model.to(memory_format=torch.contiguous_format)), path,
                       crop_size=SIZE, input_name="crops", output_name="occlusion")


def make_occlusion_model(data_dir, *, out_dir, data_options=OcclusionDataOptions(),
                         options=OcclusionTrainOptions(), exclude_files=(), command: str = "",
                         log=print) -> dict:
    """Build the synthetic data, train, export ``out_dir/model.onnx`` and write its card."""
    photos = base_photos(data_dir, data_options, exclude=excluded_paths(list(exclude_files)))
    crops, found = clean_crops(data_dir, photos, log=log)
    kept = [photo for photo, ok in zip(photos, found) if ok]
    val = np.array([is_validation(source, identity) for _, source, identity in kept])
    train_images, train_labels = synthetic_set(crops[~val], copies=data_options.copies,
                                               seed=data_options.seed,
                                               clean_share=data_options.clean_share)
    val_images, val_labels = synthetic_set(crops[val], copies=1, seed=data_options.seed + 1,
                                           clean_share=data_options.clean_share)
    log(f"{len(train_images)} training and {len(val_images)} validation samples")
    start = time.perf_counter()
    model, history = train_occlusion_model(train_images, train_labels,
                                           val=(val_images, val_labels), options=options, log=log)
    path = export_model(model, Path(out_dir) / "model.onnx")
    summary = {
        "training_seconds": round(time.perf_counter() - start, 1),
        "training_history": history,
        "parameters": int(sum(p.numel() for p in model.parameters())),
        "photographs": {"used": len(kept), "no_face": int((~found).sum()),
                        "train": int((~val).sum()), "val": int(val.sum()),
                        "by_source": {s: sum(1 for _, src, _ in kept if src == s)
                                      for s in ("lfw", "cfp", "faces-hq")}},
        "samples": {"train": len(train_images), "val": len(val_images)},
        "identities": {"train": len({(s, i) for (_, s, i), v in zip(kept, val) if not v}),
                       "val": len({(s, i) for (_, s, i), v in zip(kept, val) if v})},
        "excluded_lists": [str(f) for f in exclude_files],
    }
    return write_card(out_dir, model_path=path, summary=summary, data_options=data_options,
                      options=options, command=command)


#: Written into a new card; an existing card keeps its own text for these keys.
CARD_TEXT = {
    "licence": ("Weights trained by fiqa on LFW, CFP and FFHQ crops (research and "
                "non-commercial use) with synthetic occluders."),
    "source": "Trained from scratch by `fiqa train occlusion` (no pretrained weights).",
    "limitations": [],
}


def write_card(out_dir, *, model_path, summary: dict, data_options, options, command: str) -> dict:
    """``card.json`` for a trained occlusion model; measured metrics already in an
    existing card are kept only if they were measured on the same weights."""
    from fiqa.models import file_sha256

    sha = file_sha256(model_path)
    card = {
        "name": "face_occlusion", "measure": "EyesVisible", "file": Path(model_path).name,
        "sha256": sha, "size_bytes": Path(model_path).stat().st_size,
        "input": {"tensor": "crops", "size": SIZE, "layout": "NCHW float32",
                  "crop": "the subject's 112x112 ArcFace crop (fiqa.face.align_face), from the "
                          "five YuNet landmarks", "colour": "RGB",
                  "normalisation": "values 0..255; the graph computes x / 127.5 - 1"},
        "output": {"tensor": "occlusion", "shape": "(N, 112, 112)",
                   "meaning": "probability that the face is hidden at each crop pixel"},
        "label": "synthetic occluders (fiqa.training.occlusion_synth): label = opacity > 0.5",
        "architecture": {"network": "U-Net: stride-2 stem to 56 px, three stride-2 stages to "
                                    "7 px, bilinear decoder with skips to 56 px, 1x1 head; "
                                    "conv3x3-BN-ReLU blocks",
                         "parameters": summary["parameters"], **asdict(options)},
        "training_command": command,
        "training_seconds": summary["training_seconds"],
        "training_history": summary["training_history"],
        "data": {"options": asdict(data_options), "photographs": summary["photographs"],
                 "samples": summary["samples"], "identities": summary["identities"],
                 "excluded_lists": summary["excluded_lists"]},
    }
    return save_card(out_dir, card, CARD_TEXT)
