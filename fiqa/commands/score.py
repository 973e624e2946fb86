"""``fiqa score PATH... -o OUT``: quality measures for every input, one row each."""

from __future__ import annotations

from fiqa.commands.options import (
    HelpFormatter,
    add_engine_arguments,
    add_face_argument,
    add_format_argument,
    add_measures_argument,
    engine_options,
    measures_option,
)


def add_scoring_arguments(parser, *, measures: str = "all") -> None:
    """Arguments shared by ``fiqa score`` and ``fiqa gate``."""
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="image files, folders (recursive) or .txt lists of paths")
    parser.add_argument("-o", "--out", required=True,
                        help="output table (.csv or .parquet; OFIQ layout: .csv)")
    add_format_argument(parser)
    again = parser.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true",
                       help="continue an interrupted run on -o, or refuse when there is none "
                            "that matches (default: continue one that matches, else start anew)")
    again.add_argument("--overwrite", action="store_true",
                       help="start anew, discarding an interrupted run's journal")
    add_measures_argument(parser, what=measures)
    add_face_argument(parser)
    add_engine_arguments(parser)


def scoring_options(args) -> dict:
    resume = "require" if args.resume else "never" if args.overwrite else "auto"
    return {"measures": measures_option(args), "face": args.face, "format": args.format,
            "options": engine_options(args), "resume": resume}


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("score", help="score face images with quality measures",
                                   description=__doc__, formatter_class=HelpFormatter)
    add_scoring_arguments(parser)
    parser.set_defaults(run=run)


def skipped_note(out) -> str:
    """A line naming what the folder search left out of the run on ``out`` (files without
    an image ending, unreadable folders, link loops), or ``""`` when it left nothing out."""
    from fiqa.runs import read_record, record_path

    skipped = read_record(out).get("results", {}).get("skipped", [])
    if not skipped:
        return ""
    first = skipped[0]
    return (f"not scored: {len(skipped)} other {'entry' if len(skipped) == 1 else 'entries'} "
            f"in the folders (first: {first['path']}, {first['reason']}); all are listed "
            f"under results.skipped in {record_path(out)}")


def run(args) -> int:
    from fiqa.runner import score_to_file

    table = score_to_file(args.paths, args.out, **scoring_options(args))
    counts = table["status"].value_counts().to_dict()
    print(f"wrote {len(table)} rows to {args.out} ({', '.join(f'{k}: {v}' for k, v in counts.items())})")
    if note := skipped_note(args.out):
        print(note)
    return 0
