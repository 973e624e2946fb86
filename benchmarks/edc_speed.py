"""EDC speed: 1,000,000 synthetic comparisons (half mated), one quality measure.

Usage: python benchmarks/edc_speed.py [--pairs 1000000]
Prints the seconds for the threshold, the EDC curve, its pAUC, and the ERC variant.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from fiqa.evaluation.edc import edc_curve, edc_threshold, erc_curve, pair_quality, summarise_curve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=1_000_000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    same = rng.random(args.pairs) < 0.5
    quality_a = rng.integers(0, 101, args.pairs).astype(np.float64)  # scalar-like, many ties
    quality_b = rng.integers(0, 101, args.pairs).astype(np.float64)
    quality = pair_quality(quality_a, quality_b)
    # Mated scores improve with quality, non-mated ones do not.
    scores = np.where(same, 0.3 + 0.004 * quality + rng.normal(0, 0.15, args.pairs),
                      rng.normal(0.0, 0.1, args.pairs))

    start = time.perf_counter()
    threshold = edc_threshold(scores, same, starting_error=0.05)
    curve = edc_curve(scores, same, quality, threshold=threshold)
    summary = summarise_curve(curve, discard_limit=0.2)
    edc_seconds = time.perf_counter() - start
    print(f"EDC: {args.pairs} comparisons, {len(curve.fnmr)} points, pAUC@0.2 "
          f"{summary['pauc']:.5f} (relative {summary['pauc_relative']:.3f}) in "
          f"{edc_seconds:.3f} s")

    start = time.perf_counter()
    threshold = edc_threshold(scores, same, fmr=1e-3)
    curve = edc_curve(scores, same, quality, threshold=threshold)
    print(f"EDC at FMR 1e-3 (threshold {threshold:.4f}): {time.perf_counter() - start:.3f} s")

    start = time.perf_counter()
    erc = erc_curve(scores, same, quality, target_fmr=1e-3)
    print(f"ERC variant (threshold re-set at {len(erc.fnmr)} steps): "
          f"{time.perf_counter() - start:.3f} s")


if __name__ == "__main__":
    main()
