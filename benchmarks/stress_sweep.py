"""Wall time of a robustness sweep and where it goes.

Default: 1,000 LFW mated pairs (and as many non-mated ones, for the clean threshold at
FMR 1e-3 and the FMR under perturbation; built from the mated pairs' own images as
``fiqa stress`` does, so each condition perturbs 1,000 probes) x 6 perturbations x 5
severities, probes perturbed. ``--pairs N`` runs a smaller sweep; the script then also
prints the linear extrapolation to the full size (time per perturbed image is the same at
any size).

    python benchmarks/stress_sweep.py                 # full size
    python benchmarks/stress_sweep.py --pairs 50      # reduced

Every image goes through the pipeline in ``--workers`` processes; stage seconds are summed
over them, so they can add up to more than the wall time.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from attacks.stress.protocol import IMPOSTOR_SOURCES

FULL_PAIRS = 1000
DEFAULT_PERTURBATIONS = "jpeg,jpeg2000,gaussian_blur,motion_blur,gaussian_noise,downscale"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=FULL_PAIRS,
                        help=f"mated pairs (and as many non-mated), default {FULL_PAIRS}")
    parser.add_argument("--perturb", default=DEFAULT_PERTURBATIONS)
    parser.add_argument("--severities", default="1-5")
    parser.add_argument("--measures", help="quality families/measures (default: all)")
    parser.add_argument("--threshold-pairs", type=int, default=0,
                        help="other non-mated LFW pairs (clean only) that join the sweep's own "
                             "to fix the threshold; lets a reduced run keep FMR 1e-3")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--models", default="sface", help="recognizers, e.g. sface,dlib")
    parser.add_argument("--impostors", default="probes", choices=IMPOSTOR_SOURCES,
                        help="non-mated pairs built from the mated probes (fiqa stress's "
                             "default) or the file's own (twice the images to perturb)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from attacks.stress import (
        other_non_mated,
        parse_perturbations,
        parse_severities,
        stress_test,
        sweep_pairs,
    )
    from fiqa.data import data_dir
    from fiqa.engines import EngineOptions
    from fiqa.evaluation.pairs import read_pairs
    from fiqa.gate import load_profile

    folder = data_dir()
    everything = read_pairs(folder / "lfw_pairs.txt")
    pairs = sweep_pairs(everything, limit=args.pairs, seed=args.seed,
                        impostors=args.impostors)
    extra = other_non_mated(everything, pairs, limit=args.threshold_pairs, seed=args.seed)
    perturbations = parse_perturbations(args.perturb)
    severities = parse_severities(args.severities)
    measures = args.measures.split(",") if args.measures else None
    print(f"{int(pairs['same'].sum())} mated + {int((~pairs['same']).sum())} non-mated LFW pairs "
          f"x {len(perturbations)} perturbations x {len(severities)} severities; "
          f"non-mated from {args.impostors}; {args.workers} workers, {os.cpu_count()} CPUs; "
          f"threshold from "
          f"{0 if extra is None else len(extra)} extra clean non-mated pairs", flush=True)
    started = time.perf_counter()
    result = stress_test(pairs, root=folder / "lfw", perturbations=perturbations,
                         severities=severities, models=tuple(args.models.split(",")),
                         measures=measures, profile=load_profile("lenient"), seed=args.seed,
                         options=EngineOptions(workers=args.workers, batch_size=32),
                         threshold_pairs=extra)
    wall = time.perf_counter() - started
    images = result.parameters["images"]
    perturbed = images["perturbed_per_condition"] * len(perturbations) * len(severities)
    threshold_images = _threshold_images(pairs, extra)
    processed = images["total"] + threshold_images + perturbed
    sweep = wall
    print(f"\nwall time {wall:.1f} s; {processed} images ({images['total']} clean of the sweep + "
          f"{threshold_images} clean for the threshold only + {perturbed} perturbed): "
          f"{processed / wall:.1f} images/s, {1000 * sweep / processed:.1f} ms per image of "
          "wall time")
    print("where the time goes (seconds, summed over worker processes):")
    stages = {k: v for k, v in result.seconds.items() if k not in ("wall", "threshold_pairs")}
    total = sum(stages.values())
    for stage, seconds in sorted(stages.items(), key=lambda item: -item[1]):
        print(f"  {stage:<14} {seconds:9.1f}  {100 * seconds / total:5.1f}%  "
              f"{1000 * seconds / processed:7.1f} ms/image")
    grid = len(DEFAULT_PERTURBATIONS.split(",")) * 5
    if processed < _full_images(images, pairs, grid):
        full = _full_images(images, pairs, grid)
        print(f"reduced run: the full sweep ({FULL_PAIRS} mated + {FULL_PAIRS} non-mated pairs x "
              f"{grid} conditions, about {full} images) would take about "
              f"{sweep * full / processed / 60:.0f} min at this per-image rate")
    table = result.results
    fnmr = table[(table["metric"] == "fnmr") & (table["perturbation"] != "none")]
    print(f"\nFNMR at the clean threshold {result.parameters['threshold']:.4f} "
          f"(clean FNMR {result.metric('fnmr', perturbation='none', severity=0):.4f}; "
          f"{result.parameters['threshold_note'] or 'FMR 1e-3'}):")
    print(fnmr.pivot_table(index=["model", "perturbation"], columns="severity", values="value",
                           sort=False).round(4).to_string())
    return 0


def _threshold_images(pairs, extra) -> int:
    """Images of the threshold pairs that the sweep's own pairs do not hold (run clean)."""
    if extra is None:
        return 0
    swept = set(pairs["image_a"]) | set(pairs["image_b"])
    return len((set(extra["image_a"]) | set(extra["image_b"])) - swept)


def _full_images(images: dict, pairs, grid: int) -> int:
    """Images a full-size sweep processes (no threshold pairs: its own 1,000 non-mated
    pairs fix the threshold), scaled from this run's counts."""
    scale = 2 * FULL_PAIRS / len(pairs)
    return round(images["total"] * scale + images["perturbed_per_condition"] * scale * grid)


if __name__ == "__main__":
    sys.exit(main())
