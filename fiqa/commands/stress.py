"""``fiqa stress --pairs PAIRS --root DIR --perturb jpeg,gaussian_blur -o RUN_DIR``: robustness sweep.

The decision threshold is fixed on the clean pairs (FMR --fmr); then, for each
perturbation and severity, the probe images (or both images) are perturbed, embedded and
quality-scored once, and FNMR, FMR, detection failures, similarity drop, quality response
and what the gate profile would have caught are recorded.

RUN_DIR gets results.csv (tidy: perturbation, severity, parameters, metric, measure,
value), perturbed_scores.csv (quality of every scored image), comparisons.csv (every pair
under every condition), run.json (parameters, versions, model hashes, timings) and
report.html.
"""

from __future__ import annotations

import argparse


def _epilog() -> str:
    from attacks.severities import table_rows

    lines = ["perturbations (severities 1..5):"]
    lines += [f"  {name:<16} {values}" for name, _, values in table_rows()]
    return "\n".join(lines)


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "stress", help="FNMR, FMR and quality response under image perturbations",
        description=__doc__, epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", required=True, help="LFW pairs.txt or a CSV with image_a,image_b,same")
    parser.add_argument("--root", required=True, help="folder the image paths are relative to")
    parser.add_argument("--perturb", required=True,
                        help="comma-separated perturbation names, or 'all' (listed below)")
    parser.add_argument("--severities", default="1-5", help="e.g. 1-5 (default) or 1,3,5")
    parser.add_argument("--apply", choices=("probe", "both"), default="probe",
                        help="perturb the second image of each pair (default) or both")
    parser.add_argument("--on", choices=("image", "crop"), default="image",
                        help="perturb the whole image before detection (default) or the "
                             "aligned face crop")
    parser.add_argument("--model", default="sface", help="'sface' (default) or an ONNX file")
    parser.add_argument("--measures", help="comma-separated quality families/measures "
                                           "(default: all)")
    parser.add_argument("--profile", default="lenient",
                        help="gate profile name or .toml file ('none' to skip the gate)")
    parser.add_argument("--fmr", type=float, default=1e-3,
                        help="FMR at which the clean threshold is set (default 1e-3)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--limit", type=int,
                        help="use at most N mated and N non-mated pairs (drawn with --seed)")
    parser.add_argument("--threshold-pairs", type=int, metavar="N",
                        help="also use up to N other non-mated pairs of PAIRS (clean, not "
                             "perturbed) to fix the threshold; FMR 1e-3 needs 1000")
    parser.add_argument("--workers", type=int, default=2, help="image threads (default 2)")
    parser.add_argument("--no-report", action="store_true", help="skip report.html")
    parser.add_argument("--progress", action="store_true", help="print one line per condition")
    parser.add_argument("-o", "--out", required=True, help="run folder to write")
    parser.set_defaults(run=run)


def run(args) -> int:
    from fiqa.stress import parse_perturbations, parse_severities, stress_to_folder

    measures = [m.strip() for m in args.measures.split(",") if m.strip()] if args.measures else None
    result, written = stress_to_folder(
        args.out, pairs=args.pairs, root=args.root, perturbations=parse_perturbations(args.perturb),
        severities=parse_severities(args.severities), apply=args.apply, target=args.on,
        model=args.model, measures=measures,
        profile=None if args.profile == "none" else args.profile, target_fmr=args.fmr,
        seed=args.seed, limit=args.limit, threshold_limit=args.threshold_pairs,
        workers=args.workers, report=not args.no_report,
        progress=args.progress)
    clean = result.metric("fnmr", perturbation="none", severity=0)
    print(f"threshold {result.parameters['threshold']:.4f} (clean FNMR {clean:.4f}); "
          f"{result.seconds['wall']:.1f} s")
    worst = result.results[(result.results["metric"] == "fnmr")
                           & (result.results["perturbation"] != "none")]
    for row in worst.itertuples():
        print(f"  {row.perturbation:<16} severity {row.severity}  FNMR {row.value:.4f}  "
              f"({row.parameters})")
    print("wrote " + ", ".join(str(path) for path in written.values()))
    return 0
