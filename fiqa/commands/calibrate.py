"""``fiqa calibrate --comparisons C --quality Q (--max-reject R | --target-fnmr F) -o P.toml``

Chooses per-measure lower bounds on the 0-100 scalars from recognition outcomes and writes
a gate profile that ``fiqa gate --profile P.toml`` uses. C is a ``fiqa verify`` table
(its run record gives the image root and the recognizer), Q a ``fiqa score``
table of the same images. The decision threshold is fixed at --fmr on the non-mated
comparisons (default 1e-3), at --starting-error on the mated ones, or given (--threshold). The search is greedy
and deterministic (see fiqa.calibrate): each step adds the bound that removes the most
false non-matches per image it rejects, while the reject rate stays within --max-reject
(or until the FNMR reaches --target-fnmr). The profile's comments record the data, the
recognizer, the threshold and the measured trade-off of every step.
"""

from __future__ import annotations

import argparse


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "calibrate", help="derive a gate profile from recognition outcomes",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comparisons", required=True, help="fiqa verify output (.csv/.parquet)")
    parser.add_argument("--quality", required=True, help="fiqa score output of the same images")
    budget = parser.add_mutually_exclusive_group(required=True)
    budget.add_argument("--max-reject", type=float, help="largest share of images rejected")
    budget.add_argument("--target-fnmr", type=float, help="stop once the FNMR is this low")
    parser.add_argument("--measures", help="comma-separated measures to bound (default: all "
                        "scalars in the quality table)")
    threshold = parser.add_mutually_exclusive_group()
    threshold.add_argument("--fmr", type=float, default=1e-3,
                           help="decision threshold at this FMR (default 1e-3)")
    threshold.add_argument("--starting-error", type=float,
                           help="decision threshold at this quantile of the mated scores")
    threshold.add_argument("--threshold", type=float,
                           help="a fixed decision threshold (your recognizer's operating point)")
    parser.add_argument("--root", help="folder the comparison paths are relative to "
                        "(default: from the fiqa verify sidecar)")
    parser.add_argument("--name", help="profile name (default: the output file's stem)")
    parser.add_argument("--description", default="", help="profile description")
    parser.add_argument("--steps", type=int, default=40,
                        help="candidate bounds per measure (default 40)")
    parser.add_argument("--min-removed", type=int, default=3,
                        help="false non-matches a bound must remove to be added (default 3)")
    parser.add_argument("--max-reject-ratio", type=float,
                        help="bound the worst-to-best reject-rate ratio between --groups "
                             "(e.g. 1.25); the cost in FNMR is printed")
    parser.add_argument("--groups", metavar="FILE.csv|ita",
                        help="groups for --max-reject-ratio: a CSV (path, group columns) or "
                             "'ita' (the skin-tone proxy, which the quality table must carry)")
    parser.add_argument("--groups-root", help="folder relative paths in the groups CSV are "
                        "relative to")
    parser.add_argument("-o", "--out", required=True, help="profile to write (.toml)")
    parser.set_defaults(run=run)


def run(args) -> int:
    from fiqa.calibrate import calibrate_to_file

    for name in ("max_reject", "target_fnmr"):
        value = getattr(args, name)
        if value is not None and not 0 <= value <= 1:
            raise ValueError(f"--{name.replace('_', '-')} must be between 0 and 1, got {value}")
    if args.max_reject_ratio is not None and not args.groups:
        raise ValueError("--max-reject-ratio needs --groups (a CSV of your labels, or ita)")
    measures = [m.strip() for m in args.measures.split(",")] if args.measures else None
    result = calibrate_to_file(
        args.out, comparisons=args.comparisons, quality=args.quality, root=args.root,
        measures=measures, max_reject=args.max_reject, target_fnmr=args.target_fnmr,
        fmr=args.fmr, starting_error=args.starting_error, threshold=args.threshold,
        name=args.name, description=args.description, steps=args.steps,
        min_removed=args.min_removed, groups=args.groups, groups_root=args.groups_root,
        max_reject_ratio=args.max_reject_ratio)
    before, after = result.before, result.after
    bounds = ", ".join(f"{m}.scalar >= {b:g}" for m, b in result.bounds.items())
    print(f"{bounds}\nrejects {after.reject_rate:.2%} of images; FNMR {before.fnmr:.4f} -> "
          f"{after.fnmr:.4f}; wrote {args.out}")
    if result.unbounded is not None:
        free = result.unbounded.after
        print(f"the reject-ratio bound costs {after.fnmr - free.fnmr:+.4f} FNMR (without it: "
              f"FNMR {free.fnmr:.4f}, rejects {free.reject_rate:.2%})")
    return 0
