"""``fiqa eval compression [--model FILE.onnx] [--data-dir DIR] [-o METRICS.csv]``

Evaluates a CompressionArtifacts model on the held-out test identities: per codec (JPEG,
JPEG 2000) and inter-eye band, Spearman correlation with SSIM and PSNR, the EER between
clean (SSIM >= 0.99) and visibly compressed (SSIM < 0.95) crops and the errors at the
model's operating point, beside the classical blockiness and fine-detail cues; then the
model's milliseconds per face. The data settings (unless --data-card names another card)
and the operating point come from the card.json next to the model (the shipped model by
default).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="evaluate fiqa's own models (compression)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model_name", choices=("compression",), help="which model to evaluate")
    parser.add_argument("--model", help="model.onnx to evaluate (default: the shipped one)")
    parser.add_argument(
        "--data-dir", help="face data folder (default: $FIQA_DATA_DIR or ../shared/data)"
    )
    parser.add_argument(
        "--cache-dir",
        default=str(Path(tempfile.gettempdir()) / "fiqa_cache"),
        help="where generated datasets are cached (default <tmp>/fiqa_cache)",
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="processes generating data (default 2)"
    )
    parser.add_argument(
        "--data-card",
        help="card.json whose data settings to evaluate on (default: the model's own), "
        "e.g. to score an older model on a newer recipe's test identities",
    )
    parser.add_argument("-o", "--out", help="also write the metrics table (.csv)")
    parser.set_defaults(run=run)


def run(args) -> int:
    from fiqa.data import data_dir
    from fiqa.training.compression_eval import evaluate_model_file, format_table

    table, speed = evaluate_model_file(
        args.model,
        data_dir=args.data_dir or data_dir(),
        cache_dir=args.cache_dir,
        workers=args.workers,
        data_card=args.data_card,
    )
    print(format_table(table))
    print(
        f"model alone: {speed['ms_per_face']:.2f} ms/face (onnxruntime, "
        f"batch {speed['batch_size']}, {speed['faces']} faces)"
    )
    if args.out:
        table.to_csv(args.out, index=False)
        print(f"wrote {args.out}")
    return 0
