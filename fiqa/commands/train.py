"""``fiqa train compression [--data-dir DIR] [--out DIR] [--epochs N] [--seed N] ...``

Trains the CompressionArtifacts network from scratch and writes model.onnx and card.json
(with the test-set metrics) into --out. The labelled crops are generated once from the
clean references under --data-dir and cached as .npz in --cache-dir. With the defaults
this reproduces the shipped models/compression/model.onnx (same seed, same thread count).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train fiqa's own models (compression)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", choices=("compression",), help="which model to train")
    parser.add_argument(
        "--data-dir",
        help="face data folder with faces-hq/, lfw/, cfp/ "
        "(default: $FIQA_DATA_DIR or ../shared/data)",
    )
    parser.add_argument(
        "--out",
        default="compression-model",
        help="folder for model.onnx and card.json (default ./compression-model)",
    )
    parser.add_argument(
        "--cache-dir",
        default=str(Path(tempfile.gettempdir()) / "fiqa_cache"),
        help="where generated datasets are cached (default <tmp>/fiqa_cache)",
    )
    parser.add_argument("--epochs", type=int, default=12, help="training epochs (default 12)")
    parser.add_argument(
        "--seed", type=int, default=0, help="seed for data and training (default 0)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads; results are reproducible per thread count (default 1)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="processes generating data (default 2; does not change the data)",
    )
    parser.add_argument(
        "--lfw-people", type=int, default=800, help="LFW people used as references (default 800)"
    )
    parser.add_argument(
        "--cfp-images",
        type=int,
        default=3,
        help="CFP frontal images per person used as references (default 3)",
    )
    parser.add_argument(
        "--large-faces",
        action="store_true",
        help="the large-face recipe: inter-eye distances up to 320 px (faces-hq enlarged up "
        "to 5x, with grain); default: the shipped model's 30-150 px recipe",
    )
    parser.add_argument(
        "--label",
        choices=("ssim", "psnr"),
        default="ssim",
        help="what the network learns to predict for a crop (default ssim)",
    )
    parser.set_defaults(run=run)


def run(args) -> int:
    from fiqa.data import data_dir
    from fiqa.training.compression_data import LARGE_FACE_RECIPE, DataOptions
    from fiqa.training.compression_eval import format_table
    from fiqa.training.compression_train import TrainOptions, make_compression_model

    command = (
        f"fiqa train compression --out {args.out} --epochs {args.epochs} --seed {args.seed} "
        f"--threads {args.threads} --lfw-people {args.lfw_people} "
        f"--cfp-images {args.cfp_images} --label {args.label}"
        + (" --large-faces" if args.large_faces else "")
    )
    card = make_compression_model(
        args.data_dir or data_dir(),
        out_dir=args.out,
        cache_dir=args.cache_dir,
        data_options=DataOptions(
            seed=args.seed,
            lfw_people=args.lfw_people,
            cfp_images_per_person=args.cfp_images,
            **(LARGE_FACE_RECIPE if args.large_faces else {}),
        ),
        options=TrainOptions(
            epochs=args.epochs, seed=args.seed, threads=args.threads, label=args.label
        ),
        workers=args.workers,
        command=command,
    )
    import pandas as pd

    print(format_table(pd.DataFrame(card["metrics"]["table"])))
    print(
        f"wrote {Path(args.out) / card['file']} (sha256 {card['sha256']}) and card.json "
        f"in {card['training_seconds']:.0f} s of training"
    )
    return 0
