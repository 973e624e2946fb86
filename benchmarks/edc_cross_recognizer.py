"""Cross-recognizer EDC: pAUC of every quality measure, judged by SFace and by dlib.

For LFW (pairs.txt) and CFP FP (cfp_pairs.csv, protocol FP): comparison scores per
recognizer (``fiqa verify --model M``, largest face, as ``fiqa score`` picks the subject),
the quality of every image in the pairs (``fiqa score``), then ``fiqa edc`` with all measures
(threshold at starting FNMR 0.05, pAUC up to discarding 20%, pair quality = min) with the
random and perfect references. Prints one table: pAUC per measure and (dataset, recognizer);
lower is better, ``random`` is what a measure that knows nothing achieves.

Every intermediate table is kept in --work (default /tmp/fiqa-edc-cross, never the
repository) and reused when it exists; embeddings are cached in --cache-dir (default
<work>/embeddings).

  python benchmarks/edc_cross_recognizer.py --workers 2
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from fiqa.data import data_dir

#: dataset label -> (pairs file, image root, protocol kept for the EDC) under the data folder.
DATASETS = {"LFW": ("lfw_pairs.txt", "lfw", None), "CFP FP": ("cfp_pairs.csv", "cfp", "FP")}


def comparisons(work: Path, label: str, model: str, *, cache_dir: Path, workers: int) -> Path:
    """``fiqa verify --model MODEL --face largest`` on the dataset (skipped when present)."""
    from fiqa.engines import EngineOptions
    from fiqa.evaluation.verify import verify_to_file

    pairs, root, _ = DATASETS[label]
    out = work / f"{_slug(label)}_{model}.csv"
    if not out.is_file():
        started = time.perf_counter()
        verify_to_file(out, root=data_dir() / root, pairs=data_dir() / pairs, model=model,
                       cache_dir=cache_dir, face="largest",
                       options=EngineOptions(workers=workers))
        print(f"verify {label} {model}: {time.perf_counter() - started:.0f} s", flush=True)
    return out


def qualities(work: Path, label: str, *, workers: int) -> Path:
    """``fiqa score`` of every image in the dataset's pairs (skipped when present)."""
    from fiqa.engines import EngineOptions
    from fiqa.evaluation.pairs import read_pairs
    from fiqa.runner import score_to_file

    pairs, root, _ = DATASETS[label]
    out = work / f"{_slug(label)}_scores.csv"
    if not out.is_file():
        table = read_pairs(data_dir() / pairs)
        images = sorted(set(table["image_a"]) | set(table["image_b"]))
        started = time.perf_counter()
        score_to_file([str(data_dir() / root / image) for image in images], out,
                      options=EngineOptions(workers=workers))
        print(f"score {label}: {len(images)} images in {time.perf_counter() - started:.0f} s",
              flush=True)
    return out


def pauc_table(work: Path, label: str, model: str, *, workers: int,
               cache_dir: Path) -> pd.DataFrame:
    """``fiqa edc`` of all measures for one dataset and recognizer: its pAUC table."""
    from fiqa.evaluation.edc_run import edc_to_file

    _, root, protocol = DATASETS[label]
    _, summary = edc_to_file(work / f"{_slug(label)}_{model}_edc.csv", root=data_dir() / root,
                             comparisons=comparisons(work, label, model, cache_dir=cache_dir,
                                                     workers=workers),
                             quality=qualities(work, label, workers=workers), protocol=protocol,
                             measures=["all"], starting_error=0.05, discard_limit=0.2)
    return summary.assign(dataset=label, model=model)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", default="/tmp/fiqa-edc-cross", help="intermediate tables")
    parser.add_argument("--models", default="sface,dlib", help="recognizers, comma-separated")
    parser.add_argument("--datasets", default=",".join(DATASETS),
                        help=f"comma-separated, from {list(DATASETS)}")
    parser.add_argument("--workers", type=int, default=1, help="worker processes for fiqa verify and fiqa score")
    parser.add_argument("--cache-dir", help="embedding cache (default <work>/embeddings)")
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    cache_dir = Path(args.cache_dir) if args.cache_dir else work / "embeddings"
    datasets = args.datasets.split(",")
    for label in datasets:  # quality first: it does not depend on the recognizer
        qualities(work, label, workers=args.workers)
    summaries = [pauc_table(work, label, model, workers=args.workers, cache_dir=cache_dir)
                 for label in datasets for model in args.models.split(",")]
    summary = pd.concat(summaries, ignore_index=True)
    summary.to_csv(work / "pauc_all.csv", index=False)
    pivot = summary.pivot_table(index="measure", columns=["dataset", "model"], values="pauc",
                                sort=False)
    print("pAUC up to 20% discarded (starting FNMR 0.05, pair quality = min); lower is better")
    print(pivot.to_string(float_format=lambda value: f"{value:.4f}"))
    starts = summary.groupby(["dataset", "model"])[["starting_fnmr", "pairs"]].first()
    print(starts.to_string())
    print(f"tables in {work}")


def _slug(label: str) -> str:
    return label.lower().replace(" ", "_")


if __name__ == "__main__":
    main()
