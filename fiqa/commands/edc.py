"""``fiqa edc --comparisons OUT.csv --quality SCORES.csv --measures NAME[,NAME...] -o EDC.csv``

Error-versus-discard curves (ISO/IEC 29794-1:2024): the threshold is fixed once (at the
--starting-error quantile of the mated scores, or at --fmr on the non-mated ones), then the
lowest-quality mated comparisons are discarded and the FNMR recomputed. Uses each measure's
<Measure>.scalar column (0..100, higher = better) unless --raw. EDC.csv holds one row per
curve point (measure, kind, variant, discard_fraction, fnmr, fmr, quality_cut,
remaining_mated, remaining_non_mated, threshold), with the random and perfect references;
the pAUC per curve goes to <stem>_pauc.csv and is printed.
"""

from __future__ import annotations

from fiqa.commands.groups import add_groups_arguments, groups_options
from fiqa.commands.options import HelpFormatter, fraction


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "edc", help="error-versus-discard curves and pAUC of quality measures",
        description=__doc__, formatter_class=HelpFormatter)
    parser.add_argument("--comparisons", required=True, help="output of fiqa verify (.csv)")
    parser.add_argument("--quality", required=True, help="output of fiqa score (.csv/.parquet)")
    parser.add_argument("--measures", "--measure", dest="measures", required=True,
                        help="measure name(s), comma-separated, or 'all' "
                        "(every measure in --quality)")
    parser.add_argument("-o", "--out", required=True, help="curve table (.csv)")
    threshold = parser.add_mutually_exclusive_group()
    threshold.add_argument("--starting-error", type=fraction, default=0.05,
                           help="FNMR before discarding; fixes the threshold")
    threshold.add_argument("--fmr", type=fraction, help="fix the threshold at this FMR instead")
    parser.add_argument("--discard-limit", type=fraction, default=0.2,
                        help="pAUC up to this discard fraction")
    parser.add_argument("--pair-quality", choices=("min", "mean", "product"), default="min",
                        help="combine the two samples' qualities")
    parser.add_argument("--max-missing", type=float, default=0.1,
                        help="refuse a measure whose quality is missing for more than this "
                             "share of the comparisons (1 = never refuse)")
    parser.add_argument("--raw", action="store_true",
                        help="use the measures' native values instead of <Measure>.scalar")
    parser.add_argument("--missing-quality", choices=("lowest", "drop"), default="lowest",
                        help="pairs with an unscored image: discard first, or leave out")
    parser.add_argument("--erc", action="store_true",
                        help="literature ERC instead of the ISO EDC: threshold re-set each step")
    parser.add_argument("--root", help="folder the comparison paths are relative to "
                        "(default: from fiqa verify's run record)")
    parser.add_argument("--quality-base", default=".",
                        help="folder relative quality paths are relative to")
    parser.add_argument("--protocol", help="only comparisons of this protocol (e.g. FP in CFP)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random reference")
    add_groups_arguments(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    from fiqa.evaluation.edc_run import edc_to_file, format_pauc, pauc_path
    from fiqa.options import writable_output

    writable_output(args.out)
    measures = [name.strip() for name in args.measures.split(",") if name.strip()]
    options = {
        "comparisons": args.comparisons, "quality": args.quality, "root": args.root,
        "protocol": args.protocol, "measures": measures, "quality_base": args.quality_base,
        "starting_error": args.starting_error, "fmr": args.fmr,
        "discard_limit": args.discard_limit, "pair_rule": args.pair_quality, "raw": args.raw,
        "missing_quality": args.missing_quality, "variant": "erc" if args.erc else "edc",
        "seed": args.seed, "max_missing": args.max_missing}
    _, summary = edc_to_file(args.out, **options)
    print(format_pauc(summary))
    print(f"wrote {args.out} and {pauc_path(args.out)}")
    if args.groups:
        from fiqa.evaluation.fairness_run import edc_with_groups

        edc_with_groups(args.out, **options, **groups_options(args))
    return 0
