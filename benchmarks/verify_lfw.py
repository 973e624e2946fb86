"""LFW View 2 (pairs.txt, 6,000 pairs) with SFace: 10-fold accuracy, EER, FNMR@FMR=1e-3.

Usage: python benchmarks/verify_lfw.py [--out lfw_comparisons.csv] [--cache-dir DIR] [--face central]
Needs the LFW data (see fiqa.data.data_dir). Prints the figures and the wall time.
"""

from __future__ import annotations

import argparse
import time

from fiqa.data import data_dir
from fiqa.evaluation.metrics import format_metrics
from fiqa.evaluation.verify import verify_to_file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="lfw_comparisons.csv", help="comparison table to write")
    parser.add_argument("--cache-dir", help="embedding cache folder (default: none)")
    parser.add_argument("--face", choices=("largest", "central"), default="central",
                        help="subject face; LFW centres the subject (default central)")
    args = parser.parse_args()
    data = data_dir()
    start = time.perf_counter()
    comparisons, report = verify_to_file(args.out, root=data / "lfw", pairs=data / "lfw_pairs.txt",
                                         cache_dir=args.cache_dir, face=args.face)
    seconds = time.perf_counter() - start
    metrics = report["metrics"]["all"]
    images = len(set(comparisons["image_a"]) | set(comparisons["image_b"]))
    print(format_metrics(metrics, title=f"LFW pairs.txt, SFace, {args.face} face"))
    print(f"{images} distinct images, {len(comparisons)} pairs in {seconds:.1f} s "
          f"({images / seconds:.1f} images/s)")


if __name__ == "__main__":
    main()
