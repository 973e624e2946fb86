"""``fiqa train {compression,unified,occlusion} [--data-dir DIR] [--out DIR] [--epochs N] ...``

Trains one of fiqa's own networks from scratch and writes model.onnx and card.json into
--out. ``compression``: the CompressionArtifacts network (card with the test-set
metrics); the labelled crops are generated once from the clean references under
--data-dir and cached as .npz in --cache-dir. ``unified``: the UnifiedQualityScore
network on recognition-utility labels (--label, from --label-recognizers); its samples
are cached one file each under --cache-dir, and its held-out pAUC table is measured by
``python benchmarks/unified_quality_eval.py --update-card``. ``occlusion``: the
face-occlusion segmentation behind EyesVisible, on clean crops with synthetic occluders
(--exclude: CSV lists whose photographs' identities are kept out of training, e.g. the
hand-labelled validation list); measured by ``python benchmarks/eyes_visible_labels.py
--update-card``. With the defaults this reproduces the shipped models (same seed, same
thread count).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train fiqa's own models (compression, unified, occlusion)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", choices=("compression", "unified", "occlusion"),
                        help="which model to train")
    parser.add_argument(
        "--data-dir",
        help="face data folder with faces-hq/, lfw/, cfp/ "
        "(default: $FIQA_DATA_DIR or ../shared/data)",
    )
    parser.add_argument(
        "--out",
        help="folder for model.onnx and card.json (default ./<model>-model)",
    )
    parser.add_argument(
        "--cache-dir",
        default=str(Path(tempfile.gettempdir()) / "fiqa_cache"),
        help="where generated datasets are cached (default <tmp>/fiqa_cache)",
    )
    parser.add_argument("--epochs", type=int, help="training epochs (default 12; occlusion 10)")
    parser.add_argument(
        "--seed", type=int, default=0, help="seed for data and training (default 0)"
    )
    parser.add_argument(
        "--train-seed", type=int,
        help="unified: seed for training alone: initialisation, batch order, the SDD negatives (default "
        "--seed), to measure how much the training draw alone moves the results"
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
        "--lfw-people", type=int,
        help="LFW people used (compression: as references, default 800; unified: for "
        "training, default 1200)"
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
        help="what the network learns: compression ssim (default) or psnr; unified cr "
        "(certainty ratio), sdd (similarity-distribution distance, default), norm (raw "
        "embedding length) or several mixed by rank, joined by +; a kind may name its "
        "recognizer (e.g. sdd+norm:sface)",
    )
    parser.add_argument("--label-recognizers", default="sface,dlib",
                        help="unified: recognizers whose labels are mixed (default sface,dlib)")
    parser.add_argument("--all-recognizer-sources", default="cfp",
                        help="unified: samples embedded by every label recognizer: cfp, lfw "
                        "(clean photographs), cfp/degraded, lfw/degraded (their degraded "
                        "copies); elsewhere only the first runs (default cfp: dlib costs most "
                        "of the time)")
    parser.add_argument("--profile-repeats", type=int, default=1,
                        help="unified: times each CFP profile-view training sample is seen per "
                        "epoch (default 1)")
    parser.add_argument("--profile-copies", type=int, default=0,
                        help="unified: degraded copies of each CFP profile-view photograph made "
                        "on top of the one every training photograph gets (default 0)")
    parser.add_argument("--exclude", action="append", default=[],
                        help="occlusion: a CSV with a path column (relative to --data-dir); "
                        "the identities of its photographs are not trained on (repeatable)")
    parser.add_argument("--copies", type=int,
                        help="occlusion: occluded copies of each clean crop (default 3)")
    parser.set_defaults(run=run)


def run(args) -> int:
    args.out = args.out or f"{args.model}-model"
    if args.model == "unified":
        return run_unified(args)
    if args.model == "occlusion":
        return run_occlusion(args)
    args.epochs = args.epochs or 12
    args.lfw_people = args.lfw_people or 800
    args.label = args.label or "ssim"
    if args.label not in ("ssim", "psnr"):
        raise ValueError(f"--label {args.label} is a unified label; compression learns ssim or psnr")
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


def run_unified(args) -> int:
    from fiqa.data import data_dir
    from fiqa.training import utility_data
    from fiqa.training.utility_labels import label_terms
    from fiqa.training.utility_train import UtilityOptions, make_utility_model, write_card

    args.label = args.label or "sdd"
    if args.label in ("ssim", "psnr"):
        raise ValueError(f"--label {args.label} is a compression label; unified learns cr, "
                         "sdd, norm or a mix such as sdd+norm")
    label_terms(args.label, ())
    recognizers = tuple(name.strip() for name in args.label_recognizers.split(","))
    options = UtilityOptions(label=args.label, label_recognizers=recognizers,
                             epochs=args.epochs or UtilityOptions.epochs,
                             seed=args.seed if args.train_seed is None else args.train_seed,
                             threads=args.threads, profile_repeats=args.profile_repeats)
    sources = tuple(name.strip() for name in args.all_recognizer_sources.split(","))
    known = {f"{source}{kind}" for source in ("cfp", "lfw") for kind in ("", "/degraded")}
    if not set(sources) <= known:
        raise ValueError(f"--all-recognizer-sources: unknown {', '.join(sorted(set(sources) - known))};"
                         f" choose from {', '.join(sorted(known))}")
    data_options = utility_data.DataOptions(
        seed=args.seed, lfw_train_people=args.lfw_people or utility_data.DataOptions.lfw_train_people,
        all_recognizer_sources=sources, profile_copies=args.profile_copies)
    data = utility_data.utility_dataset(args.data_dir or data_dir(), cache_dir=args.cache_dir,
                                        options=data_options, workers=args.workers,
                                        roles=("train", "val"))
    path, summary = make_utility_model(data, out_dir=args.out, options=options)
    command = (f"fiqa train unified --out {args.out} --epochs {options.epochs} --seed "
               f"{args.seed} --threads {args.threads} --label {args.label} "
               f"--label-recognizers {','.join(recognizers)} --lfw-people "
               f"{data_options.lfw_train_people}"
               + (f" --all-recognizer-sources {','.join(sources)}" if sources != ("cfp",) else "")
               + (f" --train-seed {args.train_seed}" if args.train_seed is not None else "")
               + (f" --profile-repeats {args.profile_repeats}" if args.profile_repeats != 1 else "")
               + (f" --profile-copies {args.profile_copies}" if args.profile_copies else ""))
    card = write_card(args.out, model_path=path, summary=summary, options=options,
                      data_options=data_options, command=command,
                      data_description=" ".join(utility_data.__doc__.split()))
    print(f"wrote {path} (sha256 {card['sha256']}) and card.json in "
          f"{card['training_seconds']:.0f} s of training; measure it with "
          f"python benchmarks/unified_quality_eval.py --update-card")
    return 0


def run_occlusion(args) -> int:
    from fiqa.data import data_dir
    from fiqa.training.occlusion_train import (
        OcclusionDataOptions,
        OcclusionTrainOptions,
        make_occlusion_model,
    )

    data_options = OcclusionDataOptions(
        seed=args.seed, lfw_people=args.lfw_people or OcclusionDataOptions.lfw_people,
        copies=args.copies or OcclusionDataOptions.copies)
    options = OcclusionTrainOptions(epochs=args.epochs or OcclusionTrainOptions.epochs,
                                    seed=args.seed, threads=args.threads)
    command = (f"fiqa train occlusion --out {args.out} --epochs {options.epochs} --seed "
               f"{args.seed} --threads {args.threads} --lfw-people {data_options.lfw_people} "
               f"--copies {data_options.copies}"
               + "".join(f" --exclude {path}" for path in args.exclude))
    card = make_occlusion_model(args.data_dir or data_dir(), out_dir=args.out,
                                data_options=data_options, options=options,
                                exclude_files=args.exclude, command=command)
    print(f"wrote {Path(args.out) / card['file']} (sha256 {card['sha256']}) and card.json in "
          f"{card['training_seconds']:.0f} s of training; measure it with "
          f"python benchmarks/eyes_visible_labels.py --update-card")
    return 0
