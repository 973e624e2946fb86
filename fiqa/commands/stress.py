"""``fiqa stress --pairs PAIRS --root DIR --perturb jpeg,gaussian_blur -o RUN_DIR``: robustness sweep.

Each recognizer's decision threshold is fixed on the clean pairs (FMR --fmr); then, for
each perturbation and severity, the probe images (or both images) are perturbed, detected,
embedded and quality-scored once, and FNMR, FMR, detection failures, similarity drop,
quality response and what the gate profile would have caught are recorded.

RUN_DIR gets results.csv (tidy: model, perturbation, severity, parameters, metric, measure,
value), perturbed_scores.csv (quality of every scored image), comparisons.csv (every pair
under every condition and recognizer), run.json (the run record) and report.html.
"""

from __future__ import annotations

from fiqa.commands.groups import add_groups_arguments, groups_options
from fiqa.commands.options import (
    HelpFormatter,
    add_engine_arguments,
    add_face_argument,
    add_measures_argument,
    add_model_argument,
    engine_options,
    fraction,
    measures_option,
    models_option,
    positive_int,
)


def _epilog() -> str:
    from attacks.severities import table_rows

    lines = ["perturbations (severities 1..5):"]
    lines += [f"  {name:<16} {values}" for name, _, values in table_rows()]
    return "\n".join(lines)


def add_parser(subparsers) -> None:
    from attacks.stress.protocol import IMPOSTOR_SOURCES

    parser = subparsers.add_parser(
        "stress", help="FNMR, FMR and quality response under image perturbations",
        description=__doc__, epilog=_epilog(), formatter_class=HelpFormatter)
    parser.add_argument("--pairs", required=True, help="LFW pairs.txt or a CSV with image_a,image_b,same")
    parser.add_argument("--root", required=True, help="folder the image paths are relative to")
    parser.add_argument("--perturb", required=True,
                        help="comma-separated perturbation names, or 'all' (listed below)")
    parser.add_argument("--severities", default="1-5", help="e.g. 1-5 or 1,3,5")
    parser.add_argument("--apply", choices=("probe", "both"), default="probe",
                        help="perturb the second image of each pair, or both")
    parser.add_argument("--on", choices=("image", "crop"), default="image",
                        help="perturb the whole image before detection, or the aligned face crop")
    add_model_argument(parser, several=True)
    add_measures_argument(parser)
    add_face_argument(parser)
    parser.add_argument("--profile", default="lenient",
                        help="gate profile name or .toml file ('none' to skip the gate)")
    parser.add_argument("--fmr", type=fraction, default=1e-3,
                        help="FMR at which each clean threshold is set")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--limit", type=positive_int,
                        help="use at most N mated pairs and N non-mated ones (drawn with --seed)")
    parser.add_argument("--impostors", choices=IMPOSTOR_SOURCES, default="probes",
                        help="non-mated pairs: built from the mated pairs' own images (each "
                             "reference against another person's probe, so each perturbed "
                             "probe serves both comparisons; people are the images' first "
                             "folders or subject_a/subject_b columns), or the file's own "
                             "non-mated pairs (twice the images to perturb)")
    parser.add_argument("--threshold-pairs", type=positive_int, metavar="N",
                        help="also use up to N other non-mated pairs of PAIRS (clean, not "
                             "perturbed) to fix the threshold; FMR 1e-3 needs 1000")
    add_groups_arguments(parser)
    parser.add_argument("--no-report", action="store_true", help="skip report.html")
    parser.add_argument("-o", "--out", required=True, help="run folder to write")
    add_engine_arguments(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    from attacks.stress import RUN_FILES, parse_perturbations, parse_severities, stress_to_folder
    from fiqa.options import writable_folder

    writable_folder(args.out)
    from fiqa.evaluation.fairness_run import measures_for_groups
    from fiqa.measures import list_measures

    measures = measures_option(args)
    if args.groups:  # the ITA proxy is scored only when asked for
        measures = measures_for_groups(args.groups, measures or list_measures())
    result, written = stress_to_folder(
        args.out, pairs=args.pairs, root=args.root, perturbations=parse_perturbations(args.perturb),
        severities=parse_severities(args.severities), apply=args.apply, target=args.on,
        models=models_option(args), measures=measures, face=args.face,
        profile=None if args.profile == "none" else args.profile, target_fmr=args.fmr,
        seed=args.seed, limit=args.limit, threshold_limit=args.threshold_pairs,
        impostors=args.impostors,
        options=engine_options(args))
    if args.groups:
        written.update(_fairness(result, args))
    if not args.no_report:
        from reports.stress_section import write_stress_report

        written["report"] = write_stress_report(result, written["run"].parent
                                                / RUN_FILES["report"], run_folder=str(args.out))
    for model, threshold in result.parameters["models"].items():
        clean = result.metric("fnmr", perturbation="none", severity=0, model=model)
        print(f"{model}: threshold {threshold['threshold']:.4f} (clean FNMR {clean:.4f})")
    table = result.results
    fnmr = table[(table["metric"] == "fnmr") & (table["perturbation"] != "none")]
    for row in fnmr.itertuples():
        print(f"  {row.model:<8} {row.perturbation:<16} severity {row.severity}  "
              f"FNMR {row.value:.4f}  ({row.parameters})")
    print(f"{result.seconds['wall']:.1f} s; wrote " + ", ".join(str(p) for p in written.values()))
    return 0


def _fairness(result, args) -> dict:
    """``--groups``: per-group outcomes of every condition, next to results.csv."""
    from attacks.stress.fairness import stress_fairness
    from fiqa.evaluation.fairness_run import write_fairness
    from fiqa.gate import load_profile

    options = groups_options(args)
    tables = stress_fairness(result, options["groups"], root=args.root,
                             profile=None if args.profile == "none" else load_profile(args.profile),
                             groups_root=options["groups_root"], bootstrap=options["bootstrap"])
    paths = write_fairness(tables, f"{args.out}/results.csv")
    return {f"fairness_{name}": path for name, path in paths.items()}
