"""Throughput of ``fiqa score`` on LFW: images/s end to end and where the time goes.

    python benchmarks/score_throughput.py --count 500
    python benchmarks/score_throughput.py --count 2000 --runs local:1 local:2 ray:2

Each run scores the same first COUNT LFW images (sorted paths) into a fresh CSV and prints
wall time, images/s, peak resident memory of the process tree, and the per-stage seconds
summed over workers (decode, detect_align, one entry per measure family), as milliseconds
per image. Needs ../shared/data (or FIQA_DATA_DIR).
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

from fiqa.data import data_dir
from fiqa.engines import EngineOptions
from fiqa.runner import score_to_file


def lfw_paths(count: int) -> list[Path]:
    folder = data_dir() / "lfw"
    if not folder.is_dir():
        raise SystemExit(f"LFW not found at {folder}; set FIQA_DATA_DIR")
    return sorted(folder.rglob("*.jpg"))[:count]


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024.0


def run_once(paths, engine: str, workers: int, measures, batch_size: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        listing = Path(folder) / "inputs.txt"
        listing.write_text("\n".join(map(str, paths)) + "\n")
        out = Path(folder) / "scores.csv"
        started = time.perf_counter()
        options = EngineOptions(engine=engine, workers=workers, batch_size=batch_size,
                                progress=False)
        table = score_to_file([listing], out, measures=measures, options=options)
        wall = time.perf_counter() - started
        meta = json.loads(out.with_name(out.name + ".run.json").read_text())
    stages = {k: v for k, v in meta["seconds"].items() if k != "wall"}
    return {
        "engine": engine, "workers": workers, "images": len(table), "wall_s": round(wall, 2),
        "images_per_s": round(len(table) / wall, 1),
        "ok": int((table["status"] == "ok").sum()),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "ms_per_image_by_stage": {k: round(1000 * v / len(table), 2) for k, v in stages.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--runs", nargs="+", default=["local:1", "local:2"],
                        help="ENGINE:WORKERS entries, e.g. local:1 local:2 ray:2")
    parser.add_argument("--measures", help="comma-separated (default: all)")
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()
    paths = lfw_paths(args.count)
    measures = args.measures.split(",") if args.measures else None
    for spec in args.runs:
        engine, workers = spec.split(":")
        result = run_once(paths, engine, int(workers), measures, args.batch_size)
        print(json.dumps(result))


if __name__ == "__main__":
    main()
