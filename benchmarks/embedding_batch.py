"""CPU time per face of each recognizer against the number of faces per inference call.

    python benchmarks/embedding_batch.py [--faces 64] [--models sface,dlib]

One thread (as in a worker process), random crops of the model's input size; CPU time of
this process, so the figures hold up on a machine that is doing other work too. Larger
batches are not cheaper on a CPU: their activations stop fitting in the caches.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

BATCHES = (1, 2, 4, 8, 16, 32)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=int, default=64, help="faces per measurement")
    parser.add_argument("--models", default="sface,dlib")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many passes")
    args = parser.parse_args(argv)
    os.environ["FIQA_ORT_THREADS"] = "1"

    import numpy as np

    from fiqa.recognition import create_embedder

    rng = np.random.default_rng(0)
    print(f"CPU ms per face (best of {args.repeats} passes over {args.faces} faces, 1 thread)")
    print("model   " + "".join(f"{f'batch {b}':>10}" for b in BATCHES))
    for name in args.models.split(","):
        embedder = create_embedder(name)
        side = embedder.input_size
        faces = rng.integers(0, 256, (args.faces, side, side, 3), dtype=np.uint8)
        embedder.embed(faces[:2])  # warm-up
        cells = []
        for batch in BATCHES:
            embedder.batch_size = batch
            best = min(_cpu_seconds(embedder, faces) for _ in range(args.repeats))
            cells.append(f"{1000 * best / args.faces:10.2f}")
        print(f"{name:<8}" + "".join(cells), flush=True)
    return 0


def _cpu_seconds(embedder, faces) -> float:
    started = time.process_time()
    embedder.embed(faces)
    return time.process_time() - started


if __name__ == "__main__":
    sys.exit(main())
