"""``--groups`` options shared by ``fiqa gate``, ``fiqa edc`` and ``fiqa report``."""

from __future__ import annotations

from fiqa.commands.options import positive_int


def add_groups_arguments(parser) -> None:
    """``--groups FILE.csv|ita``, ``--groups-root`` and ``--bootstrap``."""
    parser.add_argument("--groups", metavar="FILE.csv|ita",
                        help="per-group outcomes with bootstrap intervals over subjects: a CSV "
                        "(path, group columns, optional subject) or 'ita' for fiqa's skin-tone "
                        "proxy (an image property that moves with lighting, not a person's "
                        "attribute); tables go to <out stem>_fairness*.csv")
    parser.add_argument("--groups-root", help="folder relative paths in the groups CSV are "
                        "relative to (default: the CSV's folder, then here)")
    parser.add_argument("--bootstrap", type=positive_int, default=1000, metavar="N",
                        help="bootstrap replicates over subjects for the group intervals")


def groups_options(args) -> dict:
    """Keyword arguments for the fairness functions of :mod:`fiqa.evaluation.fairness_run`."""
    from fiqa.evaluation.fairness import Bootstrap

    return {"groups": args.groups, "groups_root": args.groups_root,
            "bootstrap": Bootstrap(replicates=args.bootstrap)}
