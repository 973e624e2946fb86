"""``fiqa report RUN_DIR -o report.html``: one self-contained HTML report of a run folder.

RUN_DIR holds any of the outputs of fiqa score (scores.csv), fiqa verify (comparisons.csv)
and fiqa edc (edc.csv, edc_pauc.csv), as CSV or Parquet; each section of the report is
shown when its inputs are there. The tidy tables behind the charts are saved next to the
report in <report stem>_tables/. A run folder of fiqa stress or fiqa attack (its run.json
says which kind of run it is) gets that run's own report.
"""

from __future__ import annotations

from fiqa.commands.groups import add_groups_arguments, groups_options
from fiqa.commands.options import HelpFormatter, positive_int


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "report", help="self-contained HTML report of a run folder", description=__doc__,
        formatter_class=HelpFormatter)
    parser.add_argument("run_dir", metavar="RUN_DIR", help="folder with the run's output tables")
    parser.add_argument("-o", "--out", default="report.html",
                        help="HTML file (default report.html)")
    parser.add_argument("--title", help="page title (default: from the folder name)")
    parser.add_argument("--tables", choices=("csv", "parquet", "none"), default="csv",
                        help="format of the tidy tables saved beside the report (default csv)")
    parser.add_argument("--thumbnails", type=positive_int, default=6,
                        help="lowest/highest-quality images shown per measure (default 6)")
    add_groups_arguments(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    from fiqa.options import writable_output
    from fiqa.runs import read_record

    writable_output(args.out)

    kind = read_record(args.run_dir).get("kind") if _is_folder(args.run_dir) else None
    if kind == "stress":
        from reports.stress_section import report_from_folder

        out = report_from_folder(args.run_dir, args.out)
    elif kind == "attack":
        from reports.attack_section import write_attack_report

        out = write_attack_report(args.run_dir, args.out)
    else:
        from reports.report import write_report

        out = write_report(args.run_dir, args.out, title=args.title, thumbnails=args.thumbnails,
                           tables_format=None if args.tables == "none" else args.tables,
                           **groups_options(args))
    print(f"wrote {out}")
    return 0


def _is_folder(path: str) -> bool:
    from pathlib import Path

    return Path(path).is_dir()
