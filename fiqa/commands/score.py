"""``fiqa score PATH... -o OUT``: quality measures for every input, one row each."""

from __future__ import annotations


def add_scoring_arguments(parser) -> None:
    """Arguments shared by ``fiqa score`` and ``fiqa gate``."""
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="image files, folders (recursive) or .txt lists of paths")
    parser.add_argument("-o", "--out", required=True, help="output table (.csv or .parquet)")
    parser.add_argument("--measures", help="comma-separated families or measures (default: all)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--batch-size", type=int, default=16, help="images per batch (default 16)")
    parser.add_argument("--engine", choices=("local", "ray"), default="local")
    parser.add_argument("--address", help="Ray cluster address (with --engine ray)")
    parser.add_argument("--no-progress", action="store_true", help="never show a progress bar")


def scoring_options(args) -> dict:
    measures = [m for m in args.measures.split(",") if m.strip()] if args.measures else None
    return {"measures": measures, "workers": args.workers, "batch_size": args.batch_size,
            "engine": args.engine, "address": args.address,
            "progress": False if args.no_progress else None}


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("score", help="score face images with quality measures",
                                   description=__doc__)
    add_scoring_arguments(parser)
    parser.add_argument("--format", choices=("csv", "parquet", "ofiq"),
                        help="output layout (default: from the file ending)")
    parser.set_defaults(run=run)


def run(args) -> int:
    from fiqa.runner import score_to_file

    table = score_to_file(args.paths, args.out, format=args.format, **scoring_options(args))
    counts = table["status"].value_counts().to_dict()
    print(f"wrote {len(table)} rows to {args.out} ({', '.join(f'{k}: {v}' for k, v in counts.items())})")
    return 0
