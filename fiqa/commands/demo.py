"""``fiqa demo``: score and gate a bundled face and degraded copies of it (no data needed)."""

from __future__ import annotations


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("demo", help="score and gate a bundled sample face",
                                   description=__doc__)
    parser.add_argument("-o", "--out", default="fiqa-demo",
                        help="folder for the images and results (default ./fiqa-demo)")
    parser.add_argument("--profile", default="lenient", help="gate profile (default lenient)")
    parser.set_defaults(run=run)


def run(args) -> int:
    from fiqa.demo import run_demo

    table = run_demo(args.out, profile=args.profile)
    print(table.to_string(index=False))
    return 0
