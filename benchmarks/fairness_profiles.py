"""Do the shipped gate profiles turn some skin tones away more often? Reject rates per ITA bin.

Scores every LFW and CFP image of the development data once (the measure families the
profiles need plus the ITA skin-tone proxy; resumable, cached per family in ``--cache``), gates the table with each profile
and prints, per ITA category (:mod:`fiqa.measures.skin_tone`; an image property that moves
with lighting, not a person's attribute), the reject rate overall and per failed rule with
95 % intervals from a bootstrap over subjects (LFW: the person's folder; CFP: the identity
folder above ``frontal``/``profile``), then the worst/best ratios.

Rerun after the profiles change (only gating reruns; scoring is cached)::

    python benchmarks/fairness_profiles.py                        # lenient, strict-enrolment
    python benchmarks/fairness_profiles.py --datasets lfw         # LFW only (no profile views)
    python benchmarks/fairness_profiles.py --profiles my.toml --cache /tmp/fair/scores
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from fiqa.data import data_dir
from fiqa.engines import EngineOptions
from fiqa.evaluation.fairness import Bootstrap, image_stats, tables
from fiqa.evaluation.groups import ITA_COLUMN, Groups, ita_groups
from fiqa.gate import gate_table, load_profile
from fiqa.measures import family_of, list_scorers
from fiqa.runner import score_to_file


def dev_scores(folder: Path, families: list[str]) -> pd.DataFrame:
    """Every LFW and CFP image scored with ``families``, one resumable cache file per family
    in ``folder`` (so a profile that needs a new family scores only that one), joined."""
    root = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    options = EngineOptions(progress=False)
    joined = None
    for family in families:
        table = score_to_file([root / "lfw", root / "cfp"], folder / f"{family}.csv",
                              measures=[family], options=options)
        joined = table if joined is None else joined.merge(
            table.drop(columns=["status", "error", "face_count"]), on="path", how="left")
    return joined


def families_for(profiles) -> list[str]:
    """The measure families the profiles read, plus the ITA descriptor."""
    needed = {family_of(measure) for profile in profiles for measure in profile.measures}
    return [family for family in list_scorers() if family in needed or family == "skin_tone"]


def dev_groups(scores: pd.DataFrame) -> Groups:
    """ITA groups with the identity as subject (CFP: the folder above frontal/profile)."""
    groups = ita_groups(scores)
    subjects = [str(p.parent.parent if p.parent.name in ("frontal", "profile") else p.parent)
                for p in map(Path, scores["path"])]
    groups.labels["subject"] = subjects
    return groups


def show(rows: pd.DataFrame, ratios: pd.DataFrame, *, details: list[str]) -> None:
    """Rates per bin (percent, with intervals) for each rule, then the ratios."""
    bins = list(pd.unique(rows["group"]))
    first = rows[rows["detail"] == ""].set_index("group")
    print(f"{'':<28}" + "".join(f"{name:>22}" for name in bins))
    sizes = [f"{first.at[b, 'units']} ({first.at[b, 'subjects']})" for b in bins]
    print(f"{'images (subjects)':<28}" + "".join(f"{size:>22}" for size in sizes))
    for detail in details:
        part = rows[rows["detail"] == detail].set_index("group")
        cells = [f"{100 * part.at[b, 'value']:5.1f} [{100 * part.at[b, 'ci_low']:4.1f},"
                 f"{100 * part.at[b, 'ci_high']:5.1f}]" for b in bins]
        print(f"{detail or 'rejected (any rule)':<28}" + "".join(f"{c:>22}" for c in cells))
    print(f"{'worst/best':<28} {'worst':>13} {'best':>13} {'ratio':>7} {'95% interval':>17}"
          f"  too few subjects")
    for row in ratios.itertuples():
        name = row.detail or "rejected (any rule)"
        print(f"{name:<28} {row.worst:>13} {row.best:>13} {row.ratio:7.2f} "
              f"[{row.ci_low:6.2f}, {row.ci_high:6.2f}]  {row.too_small}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", default="lenient,strict-enrolment",
                        help="comma-separated profile names or .toml files")
    parser.add_argument("--cache", default="/tmp/fair/scores", type=Path,
                        help="folder caching the scored development data, one file per measure "
                        "family (default /tmp/fair/scores)")
    parser.add_argument("--replicates", type=int, default=1000, help="bootstrap replicates")
    parser.add_argument("--datasets", default="lfw,cfp",
                        help="which of the scored data sets to gate: lfw, cfp or both (default)")
    args = parser.parse_args()
    profiles = [load_profile(spec.strip()) for spec in args.profiles.split(",")]
    scores = dev_scores(args.cache, families_for(profiles))
    wanted = [f"/{name.strip()}/" for name in args.datasets.split(",")]
    scores = scores[scores["path"].map(lambda p: any(w in p for w in wanted))].reset_index(drop=True)
    groups = dev_groups(scores)
    bootstrap = Bootstrap(replicates=args.replicates)
    print(f"{len(scores)} images; {groups.summary()}")
    print(f"note: {groups.note}")
    profile_view = scores["path"].str.contains("/profile/").to_numpy()
    shares = pd.Series(profile_view).groupby(groups.labels[ITA_COLUMN].to_numpy()).mean()
    print("share of CFP profile views per category: " + ", ".join(
        f"{name} {shares[name]:.1%}" for name in groups.order[ITA_COLUMN] if name in shares))
    for profile in profiles:
        gated = gate_table(scores, profile)
        rows, ratios = tables(image_stats(gated, groups, bootstrap=bootstrap, measures=[]),
                              bootstrap)
        rows = rows[rows["attribute"] == ITA_COLUMN]
        totals = rows[rows["detail"] == ""]
        details = [""] + sorted(d for d in pd.unique(rows["detail"]) if d)
        rejected = np.mean(gated["decision"] == "reject")
        print(f"\n== profile {profile.name}: {rejected:.1%} of all {len(gated)} images rejected; "
              f"{int(totals['units'].sum())} images with an ITA")
        show(rows, ratios, details=details)


if __name__ == "__main__":
    main()
