"""Run pipeline batches in this process or in a pool of worker processes on this machine."""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor

from fiqa.engines.lifecycle import start_workers, stop_pool, worker_initializer
from fiqa.pipeline import FacePipeline, Item, PipelineSpec, Record

_worker_pipeline: FacePipeline | None = None


def limit_threads() -> None:
    """One thread per library in a worker process (the pool provides the parallelism)."""
    import cv2

    os.environ["FIQA_ORT_THREADS"] = "1"
    cv2.setNumThreads(1)
    torch = sys.modules.get("torch")  # only if something already paid for importing it
    if torch is not None:
        torch.set_num_threads(1)


def _init_worker(spec: PipelineSpec) -> None:
    global _worker_pipeline
    limit_threads()
    _worker_pipeline = spec.build()


def _run_batch(items: Sequence[Item]) -> tuple[list[Record], dict[str, float]]:
    return _worker_pipeline.run_batch(items)


def _worker_metadata() -> dict:
    return _worker_pipeline.metadata()


class LocalEngine:
    """``workers=1`` runs in this process; more starts that many worker processes.

    At most two batches per worker are in flight, so memory stays flat however many
    inputs there are.
    """

    def __init__(self, spec: PipelineSpec, *, workers: int = 1):
        self.spec = spec
        self.workers = workers
        self._pipeline = spec.build(decode_threads=2) if workers == 1 else None
        self._pool = None
        if workers > 1:
            # spawn, not fork: forking a process whose onnxruntime/OpenCV/torch thread pools
            # are already running can crash or deadlock the children
            # workers die with this process however it ends, and ignore Ctrl-C (the parent
            # handles it): see fiqa.engines.lifecycle
            self._pool = ProcessPoolExecutor(
                max_workers=workers, initializer=worker_initializer,
                initargs=(os.getpid(), _init_worker, (spec,)),
                mp_context=multiprocessing.get_context("spawn"))
            start_workers(self._pool, workers)

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is not None and self._pool is not None:  # interrupted or failed: stop now
            stop_pool(self._pool)
            self._pool = None
        self.close()

    def metadata(self) -> dict:
        base = {"engine": "local", "workers": self.workers}
        if self._pipeline is not None:
            return {**base, **self._pipeline.metadata()}
        return {**base, **self._pool.submit(_worker_metadata).result()}

    def run(self, batches: Iterable[Sequence[Item]]
            ) -> Iterator[tuple[list[Record], dict[str, float]]]:
        if self._pipeline is not None:
            yield from map(self._pipeline.run_batch, batches)
            return
        in_flight: deque = deque()
        for batch in batches:
            in_flight.append(self._pool.submit(_run_batch, list(batch)))
            if len(in_flight) >= 2 * self.workers:
                yield in_flight.popleft().result()
        while in_flight:
            yield in_flight.popleft().result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
