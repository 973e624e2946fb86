"""How ``fiqa verify`` scales with worker processes: LFW's 6,000 pairs with 1 and 2 workers.

Usage: python benchmarks/verify_workers.py [--model sface] [--workers 1,2] [--pairs-limit N]
       python benchmarks/verify_workers.py --pin-threads    # 1 worker on one thread too

Each run embeds every distinct image of the pairs once (no cache) through the pipeline on
the local engine and prints wall time, images/s and the speed-up over the first run; the
comparison tables of all runs must be identical (checked). A single worker runs in this
process, where onnxruntime and OpenCV use every core; each pool worker uses one thread.
``--pin-threads`` gives the single worker one thread per library as well, so the runs
compare processes like for like.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from fiqa.data import data_dir
from fiqa.engines import EngineOptions
from fiqa.evaluation.pairs import read_pairs
from fiqa.evaluation.verify import compare_pairs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="sface")
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--pairs-limit", type=int, help="only the first N pairs")
    parser.add_argument("--pin-threads", action="store_true",
                        help="one thread per library in this process too (as in each worker)")
    args = parser.parse_args(argv)
    if args.pin_threads:
        from fiqa.engines.local import limit_threads

        limit_threads()
    pairs = read_pairs(data_dir() / "lfw_pairs.txt")
    if args.pairs_limit:
        pairs = pairs.head(args.pairs_limit)
    images = len(set(pairs["image_a"]) | set(pairs["image_b"]))
    first, reference = None, None
    for workers in (int(w) for w in args.workers.split(",")):
        started = time.perf_counter()
        table = compare_pairs(pairs, root=data_dir() / "lfw", model=args.model,
                              options=EngineOptions(workers=workers, batch_size=32,
                                                    progress=False))
        wall = time.perf_counter() - started
        first = first or wall
        if reference is None:
            reference = table
        pd.testing.assert_frame_equal(reference, table)
        print(f"{args.model}, {workers} worker(s): {len(pairs)} pairs, {images} images in "
              f"{wall:.1f} s ({images / wall:.1f} images/s), {first / wall:.2f}x the first run")
    print("tables identical across runs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
