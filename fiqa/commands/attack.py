"""``fiqa attack patch``: adversarial patches against the recognizer, judged black-box.

Example: dodging with an eyeglasses patch of 8% of the face box on 20 LFW mated pairs,
threshold calibrated at FMR 1e-3 on the pairs file's non-mated pairs:

  fiqa attack patch --pairs lfw_pairs.txt --root lfw --mode dodging --region eyeglasses \\
      --area 0.08 --steps 200 --limit 20 -o runs/patch

RUN_DIR gets patched/*.png, results.csv (image, target, score_before, score_after, success,
gate decisions...), history.csv (loss per step) and report.html.

Transfer: --judge dlib also judges every patched PNG black-box with dlib at dlib's own
FMR 1e-3 threshold (calibrated on the same non-mated pairs) and adds dlib.score_before,
dlib.score_after, dlib.threshold, dlib.clean_ok and dlib.success to results.csv. dlib has no
gradients in Python, so it can only be a judge, never the attacked --model.
"""

from __future__ import annotations

from fiqa.commands.options import (
    HelpFormatter,
    add_engine_arguments,
    engine_options,
)


def add_parser(subparsers) -> None:
    attack = subparsers.add_parser("attack", help="attacks against the recognizer",
                                   description="Attacks against the recognizer.")
    kinds = attack.add_subparsers(dest="attack", required=True, metavar="ATTACK")
    parser = kinds.add_parser(
        "patch", help="adversarial patches (dodging / impersonation)", description=__doc__,
        formatter_class=HelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--pairs", help="LFW pairs.txt or CSV (dodging: mated pairs, "
                        "impersonation: non-mated pairs; image_a is patched)")
    source.add_argument("--images", nargs="+", help="images, folders or .txt lists (dodging: "
                        "each against itself; impersonation: each toward the next)")
    parser.add_argument("--root", default=".", help="folder the pair paths are relative to")
    parser.add_argument("--mode", choices=("dodging", "impersonation"), default="dodging")
    parser.add_argument("--region", default="eyeglasses",
                        choices=("eyeglasses", "forehead", "cheek", "lower_face"))
    parser.add_argument("--area", default="0.08",
                        help="patch area as a fraction of the face box; a comma list runs each")
    parser.add_argument("--steps", type=int, default=200, help="optimisation steps per patch")
    parser.add_argument("--universal", action="store_true",
                        help="one patch for all images instead of one per image")
    parser.add_argument("--optimiser", choices=("adam", "sign"), default="adam")
    parser.add_argument("--learning-rate", type=float, default=0.1)
    parser.add_argument("--eot-samples", type=int, default=1,
                        help="transformed copies per image and step")
    parser.add_argument("--stop-margin", type=float, default=0.1,
                        help="stop a patch once its white-box similarity is this far past the "
                        "threshold (negative: never stop early)")
    parser.add_argument("--limit", type=int, help="attack only the first N pairs/images")
    parser.add_argument("--threshold", type=float,
                        help="decision threshold (default: calibrated at FMR 1e-3)")
    parser.add_argument("--calibration-pairs",
                        help="pairs file whose non-mated pairs set the threshold "
                        "(default: --pairs)")
    parser.add_argument("--calibration-root", help="root of --calibration-pairs")
    parser.add_argument("--model", default="sface",
                        help="the attacked recognizer, white-box: 'sface' (default) or an ONNX file")
    parser.add_argument("--judge", default="",
                        help="further recognizers judging the patched images black-box, "
                        "comma-separated (e.g. 'dlib')")
    parser.add_argument("--profile", default="lenient",
                        help="quality-gate profile for clean vs patched ('none' to skip)")
    parser.add_argument("--cache-dir", help="embedding cache for the calibration")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--out", required=True, help="run folder")
    add_engine_arguments(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    import importlib

    from fiqa.options import writable_folder

    writable_folder(args.out)
    from attacks.patch.run import patch_attack_to_folder  # says so when torch is missing
    from reports.attack_section import judges_in, write_attack_report

    torch = importlib.import_module("torch")  # after the import above has checked for it

    if args.threads:
        torch.set_num_threads(args.threads)
    areas = tuple(float(value) for value in args.area.split(","))
    results = patch_attack_to_folder(
        args.out, root=args.root, pairs=args.pairs, images=args.images, mode=args.mode,
        limit=args.limit, threshold=args.threshold, calibration_pairs=args.calibration_pairs,
        calibration_root=args.calibration_root,
        profile=None if args.profile == "none" else args.profile, cache_dir=args.cache_dir,
        areas=areas, universal=args.universal, region=args.region, steps=args.steps,
        optimiser=args.optimiser, learning_rate=args.learning_rate,
        eot_samples=args.eot_samples, seed=args.seed,
        stop_margin=None if args.stop_margin < 0 else args.stop_margin, model=args.model,
        judges=tuple(name.strip() for name in args.judge.split(",") if name.strip()),
        options=engine_options(args))
    write_attack_report(args.out)
    for area, rows in results.groupby("area"):
        line = f"area {area:g}: success {100 * rows['success'].mean():.1f}% of {len(rows)}"
        for judge in judges_in(results):
            counted = rows[rows[f"{judge}.clean_ok"].astype(bool)]
            line += (f"; {judge} (black-box): {100 * counted[f'{judge}.success'].mean():.1f}% "
                     f"of {len(counted)} it matched clean")
        print(line)
    print(f"wrote {args.out}/results.csv and {args.out}/report.html")
    return 0
