"""``fiqa verify --pairs PAIRS --root DIR -o OUT.csv``: comparison scores and error rates.

PAIRS is LFW's pairs.txt or a CSV with image_a, image_b, same (paths relative to --root);
--all-pairs builds mated and non-mated pairs from identity folders <root>/<identity>/*.
OUT gets image_a, image_b, same, score, status, error (plus the protocol's other columns);
the metrics go to OUT's folder as <stem>.metrics.json.
"""

from __future__ import annotations

import argparse


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "verify", help="comparison scores and verification error rates for a protocol",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--pairs", help="LFW pairs.txt or a CSV with image_a,image_b,same")
    source.add_argument("--all-pairs", action="store_true",
                        help="pair every identity folder's images (mated) and across folders")
    parser.add_argument("--root", required=True, help="folder the image paths are relative to")
    parser.add_argument("-o", "--out", required=True, help="comparison table (.csv)")
    parser.add_argument("--model", default="sface", help="'sface' (default) or an ONNX file")
    parser.add_argument("--cap", type=int, default=10_000,
                        help="with --all-pairs: most pairs of each kind (default 10000)")
    parser.add_argument("--seed", type=int, default=0, help="with --all-pairs: random seed")
    parser.add_argument("--face", choices=("largest", "central"), default="largest",
                        help="the subject when several faces are found: the largest (default, "
                        "as fiqa score) or the one nearest the image centre (LFW, CFP crops)")
    parser.add_argument("--cache-dir", help="keep embeddings here between runs (default: none)")
    parser.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    parser.set_defaults(run=run)


def run(args) -> int:
    from fiqa.evaluation.metrics import format_metrics
    from fiqa.evaluation.verify import metrics_path, verify_to_file

    _, report = verify_to_file(
        args.out, root=args.root, pairs=args.pairs,
        all_pairs_cap=args.cap if args.all_pairs else None, seed=args.seed, model=args.model,
        progress=not args.no_progress, cache_dir=args.cache_dir, face=args.face)
    metrics = report["metrics"]
    print(format_metrics(metrics["all"]))
    for name, group in metrics.get("by_protocol", {}).items():
        print(format_metrics(group, title=f"protocol {name}"))
    print(f"wrote {args.out} and {metrics_path(args.out)}")
    return 0
