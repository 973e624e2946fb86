"""LFW View 2 (pairs.txt, 6,000 pairs): 10-fold accuracy, EER, FNMR@FMR=1e-3 per recognizer,
and the time each recognizer spends per face inside the pipeline ``fiqa verify`` runs.

Usage: python benchmarks/verify_lfw.py [--model sface,dlib] [--face central] [--pairs-limit N]
    [--timing-images N] [--cache-dir DIR] [--out-dir DIR]

Per model: ``fiqa verify``'s code (:func:`fiqa.evaluation.verify.verify_to_file`) prints the
metrics; then the first --timing-images images of the pairs go through the same
:class:`fiqa.pipeline.FacePipeline` (batches of --batch-size) with the recognizer wrapped in a
stopwatch, which prints wall and CPU milliseconds per face for its crop (SFace: ArcFace warp;
dlib: 5-point shape model + face chip) and its batched embedding. Set FIQA_ORT_THREADS=1 to
compare single-threaded figures (dlib runs on one thread). --pairs-limit keeps the first N/2
mated and N/2 non-mated pairs. Needs the LFW data (see fiqa.data.data_dir).
"""

from __future__ import annotations

import argparse
import time
from contextlib import contextmanager
from pathlib import Path

from fiqa.data import data_dir
from fiqa.evaluation.metrics import format_metrics
from fiqa.evaluation.pairs import read_pairs
from fiqa.evaluation.verify import verify_to_file
from fiqa.pipeline import Item, PipelineSpec


class TimedEmbedder:
    """An embedder that adds up the wall and CPU seconds of its ``crop`` and ``embed``."""

    def __init__(self, inner):
        self.inner = inner
        self.name, self.sha256, self.input_size = inner.name, inner.sha256, inner.input_size
        self.seconds = {"crop": [0.0, 0.0], "embed": [0.0, 0.0]}
        self.faces = 0

    @contextmanager
    def _clock(self, stage: str):
        wall, cpu = time.perf_counter(), time.process_time()
        yield
        self.seconds[stage][0] += time.perf_counter() - wall
        self.seconds[stage][1] += time.process_time() - cpu

    def metadata(self) -> dict:
        return self.inner.metadata()

    def crop(self, image, face):
        with self._clock("crop"):
            return self.inner.crop(image, face)

    def embed(self, crops, *, normalise: bool = True):
        self.faces += len(crops)
        with self._clock("embed"):
            return self.inner.embed(crops, normalise=normalise)

    def per_face_ms(self) -> str:
        parts = [f"{stage} {1000 * wall / self.faces:.1f} ms wall / {1000 * cpu / self.faces:.1f}"
                 " ms CPU" for stage, (wall, cpu) in self.seconds.items()]
        return f"{self.faces} faces: " + ", ".join(parts) + " per face"


def time_recognizer(model: str, paths: list[str], *, face: str, batch_size: int) -> TimedEmbedder:
    """Run ``paths`` through the verify pipeline with ``model`` under a stopwatch."""
    pipeline = PipelineSpec(measures=(), recognizers=(model,), face=face).build()
    name, embedder = next(iter(pipeline.recognizers.items()))
    timed = pipeline.recognizers[name] = TimedEmbedder(embedder)
    for start in range(0, len(paths), batch_size):
        pipeline.run([Item(path, path=path) for path in paths[start:start + batch_size]])
    return timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="sface", help="recognizers, comma-separated")
    parser.add_argument("--face", choices=("largest", "central"), default="central",
                        help="subject face; LFW centres the subject (default central)")
    parser.add_argument("--pairs-limit", type=int,
                        help="only the first N/2 mated and N/2 non-mated pairs")
    parser.add_argument("--timing-images", type=int, default=300,
                        help="images timed per model (0: no timing)")
    parser.add_argument("--batch-size", type=int, default=64, help="faces per embed call")
    parser.add_argument("--cache-dir", help="embedding cache folder (default: none)")
    parser.add_argument("--out-dir", default="/tmp/fiqa-verify-lfw",
                        help="where <model>_comparisons.csv go")
    args = parser.parse_args()
    data = data_dir()
    pairs_file = data / "lfw_pairs.txt"
    pairs = read_pairs(pairs_file)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.pairs_limit:
        pairs = pairs.groupby("same", sort=False).head(args.pairs_limit // 2)
        pairs_file = out_dir / f"pairs_{args.pairs_limit}.csv"
        pairs.to_csv(pairs_file, index=False)
    images = list(dict.fromkeys(str(data / "lfw" / p) for p in
                                list(pairs["image_a"]) + list(pairs["image_b"])))
    for model in args.model.split(","):
        start = time.perf_counter()
        comparisons, record = verify_to_file(out_dir / f"{model}_comparisons.csv",
                                             root=data / "lfw", pairs=pairs_file, model=model,
                                             face=args.face, cache_dir=args.cache_dir)
        seconds = time.perf_counter() - start
        print(format_metrics(record["results"]["metrics"]["all"],
                             title=f"LFW pairs.txt, {model}, {args.face} face"))
        print(f"{len(images)} distinct images, {len(comparisons)} pairs in {seconds:.1f} s")
        if args.timing_images:
            timed = time_recognizer(model, images[:args.timing_images], face=args.face,
                                    batch_size=args.batch_size)
            print(f"{model} inside the verify pipeline (batches of {args.batch_size}): "
                  f"{timed.per_face_ms()}")


if __name__ == "__main__":
    main()
