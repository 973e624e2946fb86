"""``fiqa gate PATH... --profile NAME|FILE.toml -o OUT``: accept or reject each capture."""

from __future__ import annotations

from fiqa.commands.groups import add_groups_arguments, groups_options
from fiqa.commands.options import HelpFormatter
from fiqa.commands.score import add_scoring_arguments, scoring_options, skipped_note


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("gate", help="accept/reject images against a quality profile",
                                   description=__doc__, formatter_class=HelpFormatter)
    add_scoring_arguments(parser, measures="the profile's")
    parser.add_argument("--profile", required=True,
                        help="shipped profile name (strict-enrolment, lenient) or a .toml file")
    add_groups_arguments(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    from fiqa.gate import gate_to_file, load_profile

    profile = load_profile(args.profile)
    if args.groups:
        from fiqa.evaluation.fairness_run import gate_with_groups

        table = gate_with_groups(args.paths, args.out, profile=profile, **groups_options(args),
                                 **scoring_options(args))
    else:
        table = gate_to_file(args.paths, args.out, profile=profile, **scoring_options(args))
    accepted = int((table["decision"] == "accept").sum())
    print(f"{accepted} of {len(table)} accepted by profile {profile.name!r}; wrote {args.out}")
    if note := skipped_note(args.out):
        print(note)
    return 0
