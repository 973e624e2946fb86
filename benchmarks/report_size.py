"""``fiqa report`` on a large synthetic run: seconds per stage and the HTML size.

    python benchmarks/report_size.py [--pairs 1000000] [--images 5000] [--measures 3]

Builds a run folder in a temporary directory (scores of IMAGES images, PAIRS comparisons,
one EDC curve per measure from :func:`fiqa.evaluation.edc.edc_curve`, which has one point
per distinct pair quality) and times reading it, preparing the tidy tables (ROC thinning,
EDC step thinning, the sampled pair-outcome join) and rendering the page. Image files do
not exist, so thumbnails are placeholders: the time of loading real thumbnails is not
included.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from fiqa.evaluation.edc import edc_curve, edc_threshold, pair_quality, summarise_curve
from reports.html import render_html
from reports.report import build_sections
from reports.report_data import prepare
from reports.run import load_run


def build_run(folder: Path, *, pairs: int, images: int, measures: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    names = np.array([f"id{i // 5}/{i % 5}.png" for i in range(images)])
    truth = rng.random(images)
    scores = pd.DataFrame({"path": [f"/absent/{name}" for name in names], "status": "ok",
                           "error": "", "face_count": 1})
    first = rng.integers(0, images, pairs)
    same = rng.random(pairs) < 0.1
    second = np.where(same, (first // 5) * 5 + rng.integers(0, 5, pairs),
                      rng.integers(0, images, pairs))
    true_pair = np.minimum(truth[first], truth[second])
    score = np.where(same, 0.2 + 0.6 * true_pair + rng.normal(0, 0.1, pairs),
                     rng.normal(0.05, 0.1, pairs))
    threshold = edc_threshold(score, same, starting_error=0.05)
    curves, summaries = [], []
    for index in range(measures):
        name = f"M{index}"
        quality = 100 * np.clip(truth + rng.normal(0, 0.2 * (index + 1), images), 0, 1)
        scores[name], scores[f"{name}.scalar"] = quality / 100, quality
        curve = edc_curve(score, same, pair_quality(quality[first], quality[second]),
                          threshold=threshold)
        curves.append(curve.to_frame().assign(measure=name, kind="measure"))
        summaries.append({"measure": name, "kind": "measure", "discard_limit": 0.2,
                          "threshold": threshold, **summarise_curve(curve)})
    scores.to_csv(folder / "scores.csv", index=False)
    pd.DataFrame({"image_a": names[first], "image_b": names[second], "same": same,
                  "score": score, "status": "ok", "error": ""}).to_csv(
        folder / "comparisons.csv", index=False)
    pd.concat(curves).to_csv(folder / "edc.csv", index=False)
    pd.DataFrame(summaries).to_csv(folder / "edc_pauc.csv", index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1_000_000)
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--measures", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        build_run(folder, pairs=args.pairs, images=args.images, measures=args.measures)
        times = {}
        start = time.perf_counter()
        run = load_run(folder)
        times["read tables"] = time.perf_counter() - start
        print(f"run: {args.pairs} comparisons, {args.images} images, {args.measures} measures, "
              f"{len(run.edc)} EDC points")
        start = time.perf_counter()
        data = prepare(run, thumbnails=6)
        times["prepare (metrics, ROC, thinning, pair join)"] = time.perf_counter() - start
        start = time.perf_counter()
        page = render_html(build_sections(data), title="benchmark", run_folder=tmp)
        times["charts and HTML"] = time.perf_counter() - start
        for stage, seconds in times.items():
            print(f"{stage:<46} {seconds:7.2f} s")
        print(f"EDC points drawn: {len(data.edc_points)}; ROC points: {len(data.roc)}; "
              f"pair-outcome rows: {len(data.pairs)}")
        print(f"HTML size: {len(page.encode()) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
