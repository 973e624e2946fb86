"""``fiqa verify --pairs PAIRS --root DIR -o OUT.csv``: comparison scores and error rates.

PAIRS is LFW's pairs.txt or a CSV with image_a, image_b, same (paths relative to --root);
--all-pairs builds mated and non-mated pairs from identity folders <root>/<identity>/*.
OUT gets image_a, image_b, same, score, status, error (plus the protocol's other columns);
the run record, with the metrics, goes to OUT.run.json.
"""

from __future__ import annotations

from fiqa.commands.options import (
    HelpFormatter,
    add_engine_arguments,
    add_face_argument,
    add_model_argument,
    engine_options,
    positive_int,
)


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "verify", help="comparison scores and verification error rates for a protocol",
        description=__doc__, formatter_class=HelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--pairs", help="LFW pairs.txt or a CSV with image_a,image_b,same")
    source.add_argument("--all-pairs", action="store_true",
                        help="pair every identity folder's images (mated) and across folders")
    parser.add_argument("--root", required=True, help="folder the image paths are relative to")
    parser.add_argument("-o", "--out", required=True, help="comparison table (.csv)")
    add_model_argument(parser)
    add_face_argument(parser)
    parser.add_argument("--cap", type=positive_int, default=10_000,
                        help="with --all-pairs: most pairs of each kind")
    parser.add_argument("--seed", type=int, default=0, help="with --all-pairs: random seed")
    parser.add_argument("--cache-dir", help="keep embeddings here between runs (default: none)")
    add_engine_arguments(parser, batch_size=64)
    parser.set_defaults(run=run)


def run(args) -> int:
    from fiqa.evaluation.metrics import format_metrics
    from fiqa.evaluation.verify import verify_to_file
    from fiqa.options import writable_output
    from fiqa.runs import record_path

    writable_output(args.out)
    _, record = verify_to_file(
        args.out, root=args.root, pairs=args.pairs,
        all_pairs_cap=args.cap if args.all_pairs else None, seed=args.seed, model=args.model,
        face=args.face, options=engine_options(args), cache_dir=args.cache_dir)
    metrics = record["results"]["metrics"]
    print(format_metrics(metrics["all"]))
    for name, group in (metrics.get("by_protocol") or {}).items():
        print(format_metrics(group, title=f"protocol {name}"))
    print(f"wrote {args.out} and {record_path(args.out)}")
    return 0
