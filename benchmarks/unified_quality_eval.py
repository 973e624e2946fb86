"""Held-out pAUC of UnifiedQualityScore, every component, the embedding length, random, perfect.

    python benchmarks/unified_quality_eval.py [--update-card] [--model NAME=FILE.onnx ...]

Protocols, recognizers and thresholds: see ``fiqa/training/utility_eval.py`` (LFW pairs
fold 10, CFP FF and FP fold 02; identities never trained on; SFace and dlib; starting
FNMR 0.05 and FMR 1e-3). Quality comes from ``fiqa score`` (all measures, the shipped
UnifiedQualityScore included); ``--model`` adds another UnifiedQualityScore model (e.g. one
trained on another label) run on the same crops; ``NAME=A.onnx+B.onnx+...`` scores the mean
of several models' outputs (an ensemble). ``EmbeddingNorm`` is the length of SFace's
raw embedding. Prints one Markdown table per threshold rule: pAUC@0.2 and, in brackets, the
share of the random-to-perfect gap closed. Embeddings and scores are cached in
--cache-dir. ``--update-card`` writes the table into models/unified/card.json.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd

from fiqa.data import data_dir
from fiqa.training import utility_eval

TARGETS = {"cfp_fp_sface_gap_closed_min": 0.65, "cfp_fp_dlib_gap_closed_min": 0.45,
           "best_on_every_row": True, "ms_per_face_max": 3.0}


def speed(data) -> float:
    from fiqa.measures.unified import UnifiedScorer

    scorer = UnifiedScorer()
    crops = np.ascontiguousarray(data["crops"][:256])
    scorer.predict(crops[:8])
    best = np.inf
    for _ in range(3):
        start = time.perf_counter()
        scorer.predict(crops)
        best = min(best, (time.perf_counter() - start) / len(crops) * 1000)
    return best


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--cache-dir", default="/tmp/utility")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--model", action="append", default=[], metavar="NAME=FILE")
    parser.add_argument("--update-card", action="store_true")
    parser.add_argument("--out", help="also write the long pAUC table to this CSV")
    args = parser.parse_args(argv)
    root = args.data_dir or data_dir()
    options, images, data = utility_eval.eval_arrays(root, args.cache_dir, args.workers)
    models = dict(spec.split("=", 1) for spec in args.model)
    quality = utility_eval.quality_table(images, data, args.cache_dir, models)
    from fiqa.measures import list_descriptors

    measures = [c.removesuffix(".scalar") for c in quality.columns if c.endswith(".scalar")
                and c.removesuffix(".scalar") not in list_descriptors()]
    pairs = utility_eval.evaluation_pairs(root, options)
    table = utility_eval.pauc_rows(pairs, utility_eval.vectors(data, options.recognizers), quality,
                                   measures=measures)
    if args.out:
        table.to_csv(args.out, index=False)
    for rule in utility_eval.THRESHOLDS:
        print(f"\n### pAUC@0.2, threshold {rule} (gap closed in brackets)\n")
        print(utility_eval.format_pauc_rows(table, threshold_rule=rule))
    ms = speed(data)
    print(f"\nUnifiedQualityScore model: {ms:.2f} ms per face (batch 256, best of 3)")
    if args.update_card:
        update_card(table, ms)
    return 0


def update_card(table: pd.DataFrame, ms: float) -> None:
    from fiqa.models import shipped_models_dir

    path = shipped_models_dir() / "unified" / "card.json"
    card = json.loads(path.read_text())
    previous = card.get("metrics", {})
    card["metrics"] = {
        "evaluation": "held-out identities; python benchmarks/unified_quality_eval.py",
        "table": json.loads(table[["protocol", "recognizer", "threshold_rule", "measure",
                                   "kind", "pairs", "starting_fnmr", "pauc", "gap_closed"]]
                            .to_json(orient="records")),
        "targets": {**TARGETS, "verdict": previous.get("targets", {}).get("verdict", "")},
        "speed": {"command": "python benchmarks/unified_quality_eval.py",
                  "model_alone_ms_per_face": round(ms, 2)},
    }
    path.write_text(json.dumps(card, indent=1) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
