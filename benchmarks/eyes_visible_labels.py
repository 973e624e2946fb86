"""How well does ``EyesVisible`` separate hand-labelled occluded and visible eyes, how well
does the occlusion network segment held-out synthetic occluders, and what would the
strict-enrolment bound reject?

1. Scores every photo of ``tests/data/eye_visibility_labels.csv`` (LFW and CFP paths
   hand-checked as ``occluded``: sunglasses, a hand, hair or an object over an eye, or
   ``visible``, clear glasses and closed eyes included) and prints per state the raw
   values' range and median and the AUC (occluded vs visible).
2. Intersection over union of the network's mask with the synthetic labels on the
   validation identities (``fiqa.training.occlusion_train.is_validation``; their photos are
   never trained on), and the mean absolute error of the EVZ hidden share there.
3. For :data:`BOUND`, how many labelled photos of each state it rejects and what share of
   the first ``--lfw`` LFW photos (every 4th by path) and CFP frontal photos it rejects.
4. The network's time per face (batch of one, one thread).

``--update-card`` writes these figures into ``models/face_occlusion/card.json``.

    python benchmarks/eyes_visible_labels.py --lfw 1000 [--update-card]
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np
from scipy.stats import mannwhitneyu

from fiqa.context import FaceContext
from fiqa.data import data_dir
from fiqa.face import FaceDetector
from fiqa.io import load_image
from fiqa.measures.occlusion import MEASURE, OcclusionScorer, hidden_share
from fiqa.models import shipped_models_dir
from fiqa.training.occlusion_synth import EYES
from fiqa.training.occlusion_train import (
    OcclusionDataOptions,
    base_photos,
    clean_crops,
    excluded_paths,
    is_validation,
    mask_iou,
    synthetic_set,
)

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "tests" / "data" / "eye_visibility_labels.csv"
#: The strict-enrolment policy bound on the raw value (share of the eye zones hidden).
BOUND = 0.3


def _raw(detector, scorer, path: Path) -> float:
    image = load_image(path)
    faces = detector.detect(image)
    return scorer.raw([FaceContext.build(image, faces)])[MEASURE][0] if faces else float("nan")


def labelled(detector, scorer, root: Path) -> dict:
    rows = list(csv.DictReader(LABELS.open()))
    values = {"occluded": [], "visible": []}
    for row in rows:
        value = _raw(detector, scorer, root / row["path"])
        if np.isfinite(value):
            values[row["state"]].append(value)
    hidden, shown = np.array(values["occluded"]), np.array(values["visible"])
    auc = mannwhitneyu(hidden, shown).statistic / (len(hidden) * len(shown))
    out = {"labels": str(LABELS.relative_to(ROOT)), "auc_occluded_vs_visible": round(float(auc), 4)}
    for state, v in (("occluded", hidden), ("visible", shown)):
        out[state] = {"n": len(v), "min": round(float(v.min()), 4),
                      "median": round(float(np.median(v)), 4), "max": round(float(v.max()), 4),
                      "rejected_by_bound": int((v > BOUND).sum())}
        print(f"{state}: n={len(v)} min={v.min():.3f} median={np.median(v):.3f} max={v.max():.3f}; "
              f"raw_max {BOUND} rejects {(v > BOUND).sum()}")
    print(f"AUC (occluded vs visible) = {auc:.3f}")
    return out


def synthetic(scorer, root: Path) -> dict:
    options = OcclusionDataOptions()
    photos = base_photos(root, options, exclude=excluded_paths([LABELS]))
    val = [photo for photo in photos if is_validation(photo[1], photo[2])]
    crops, _ = clean_crops(root, val, log=lambda *_: None)
    images, labels = synthetic_set(crops, copies=1, seed=options.seed + 1,
                                   clean_share=options.clean_share)
    predicted = scorer.occlusion(images)
    # EVZ of the template eyes (the crops are aligned to it): 20x14 px boxes
    zones = np.array([[x - 10, y - 7, x + 10, y + 7] for x, y in EYES])
    errors = [abs(hidden_share(p, zones) - hidden_share(t.astype(np.float32), zones))
              for p, t in zip(predicted, labels)]
    out = {"samples": len(images), "iou": round(mask_iou(predicted, labels), 4),
           "evz_hidden_share_mae": round(float(np.mean(errors)), 4)}
    print(f"synthetic validation ({len(images)} samples): IoU {out['iou']:.3f}, "
          f"EVZ hidden-share MAE {out['evz_hidden_share_mae']:.3f}")
    return out


def reject_rates(detector, scorer, root: Path, lfw: int) -> dict:
    sets = {"lfw": sorted((root / "lfw").rglob("*.jpg"))[::4][:lfw],
            "cfp_frontal": sorted((root / "cfp").glob("*/frontal/*.jpg"))}
    out = {}
    for name, paths in sets.items():
        v = np.array([_raw(detector, scorer, path) for path in paths])
        v = v[np.isfinite(v)]
        out[name] = {"faces": len(v), "rejected_share": round(float((v > BOUND).mean()), 4),
                     "percentiles_50_95_99": np.percentile(v, [50, 95, 99]).round(4).tolist()}
        print(f"{name} ({len(v)} faces): raw_max {BOUND} rejects {100 * (v > BOUND).mean():.1f} %; "
              f"percentiles 50/95/99 = {out[name]['percentiles_50_95_99']}")
    return out


def speed(scorer) -> float:
    crop = np.zeros((1, 112, 112, 3), np.uint8)
    scorer.occlusion(crop)
    start = time.perf_counter()
    for _ in range(100):
        scorer.occlusion(crop)
    ms = (time.perf_counter() - start) * 10
    print(f"network: {ms:.2f} ms per face (batch of one)")
    return round(ms, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lfw", type=int, default=1000, help="LFW photos for the reject rates")
    parser.add_argument("--update-card", action="store_true",
                        help="write the figures into models/face_occlusion/card.json")
    args = parser.parse_args()
    detector, root = FaceDetector(), data_dir()
    scorer = OcclusionScorer()
    metrics = {"command": "python benchmarks/eyes_visible_labels.py --lfw " + str(args.lfw),
               "bound_raw_max": BOUND,
               "hand_labelled": labelled(detector, scorer, root),
               "synthetic_validation": synthetic(scorer, root),
               "reject_rates": reject_rates(detector, scorer, root, args.lfw),
               "ms_per_face": speed(scorer)}
    if args.update_card:
        path = shipped_models_dir() / "face_occlusion" / "card.json"
        card = json.loads(path.read_text())
        card["metrics"] = {"sha256": card["sha256"], **metrics}
        path.write_text(json.dumps(card, indent=1) + "\n")
        print(f"wrote metrics into {path}")


if __name__ == "__main__":
    main()
