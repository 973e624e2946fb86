"""The pooled discard experiment on a ``fiqa stress`` run folder (issue 15, part 3).

Reads the run's ``comparisons.csv``, ``perturbed_scores.csv`` and ``run.json`` (its
threshold, fixed on the clean comparisons), pools each perturbation family's severities
with the clean comparisons (:func:`fiqa.evaluation.discard.pooled_discard`), prints FNMR
before and after discarding the lowest 5/10/20 % by CompressionArtifacts, Sharpness and at
random, and the relative EDC pAUC of every measure; writes ``discard_edc.csv``,
``discard_curves.csv``, ``discard_fnmr.csv`` and ``discard.html`` into the folder.

    fiqa stress --pairs ../shared/data/lfw_pairs.txt --root ../shared/data/lfw \\
        --perturb jpeg,jpeg2000 --limit 100 --threshold-pairs 1000 -o RUN
    python benchmarks/pooled_discard.py RUN
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd


def main(argv: list[str] | None = None) -> int:
    from fiqa.evaluation.discard import pooled_discard
    from reports.discard_section import discard_fnmr_table, discard_sections
    from reports.html import render_html

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="a fiqa stress run folder")
    parser.add_argument("--draws", type=int, default=50, help="random-discard draws (default 50)")
    args = parser.parse_args(argv)
    folder = Path(args.run)
    run = json.loads((folder / "run.json").read_text())
    comparisons = pd.read_csv(folder / "comparisons.csv")
    scores = pd.read_csv(folder / "perturbed_scores.csv", low_memory=False)
    parameters = run.get("parameters", run)  # run.json nests the sweep's parameters
    thresholds = {name: entry["threshold"] for name, entry in parameters["models"].items()}
    result = pooled_discard(comparisons, scores, thresholds=thresholds, random_draws=args.draws)
    for name in ("edc", "curves", "fnmr"):
        getattr(result, name).to_csv(folder / f"discard_{name}.csv", index=False)
    html = render_html(discard_sections(result.edc, result.curves, result.fnmr),
                       title="fiqa pooled discard", run_folder=str(folder))
    (folder / "discard.html").write_text(html, encoding="utf-8")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(discard_fnmr_table(result.fnmr).to_string(index=False))
        print()
        wide = result.edc.pivot_table(index="measure", columns=["family", "model"],
                                      values="pauc_relative", sort=False)
        print("relative EDC pAUC up to 20 % discarded (0 = perfect, 1 = random)")
        print(wide.round(3).to_string())
        counts = result.edc.drop_duplicates(["family", "model"])
        print(counts[["family", "model", "mated", "non_mated", "threshold",
                      "starting_fnmr"]].to_string(index=False))
    print(f"wrote discard_*.csv and discard.html in {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
