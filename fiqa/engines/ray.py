"""Run pipeline batches on a Ray cluster (or a local Ray instance) with a pool of actors.

Why actors rather than stateless tasks or Ray Data: each actor builds its pipeline (the
detector, measure models and recognizers) once and keeps it for every batch, exactly like a
local worker process; :class:`ray.util.ActorPool` returns results in submission order, so
records reach the caller in the same order as with the local engine. Items that name files
need every node to see them (shared storage); in-memory images travel with the batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from fiqa.pipeline import Item, PipelineSpec, Record


def _require_ray():
    try:
        import ray
    except ImportError:
        raise ValueError("the Ray engine needs Ray: pip install 'fiqa[ray]'") from None
    return ray


class RayEngine:
    """``workers`` pipeline actors (1 CPU each) on the cluster at ``address``.

    ``address=None`` starts (or joins) a local Ray instance with ``workers`` CPUs;
    ``"auto"`` or ``"ray://host:10001"`` joins an existing cluster.
    """

    def __init__(self, spec: PipelineSpec, *, workers: int = 1, address: str | None = None):
        ray = _require_ray()
        self._started_here = not ray.is_initialized()
        if self._started_here:
            options = {"address": address} if address else {"num_cpus": workers}
            ray.init(include_dashboard=False, log_to_driver=False, **options)
        from ray.util import ActorPool

        actor_class = ray.remote(num_cpus=1)(_PipelineActor)
        self._actors = [actor_class.remote(spec) for _ in range(workers)]
        self._pool = ActorPool(self._actors)
        self.workers = workers
        self.address = address

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def metadata(self) -> dict:
        ray = _require_ray()
        details = ray.get(self._actors[0].metadata.remote())
        return {"engine": "ray", "workers": self.workers, "address": self.address or "local",
                "ray": ray.__version__, **details}

    def run(self, batches: Iterable[Sequence[Item]]
            ) -> Iterator[tuple[list[Record], dict[str, float]]]:
        yield from self._pool.map(lambda actor, batch: actor.run_batch.remote(list(batch)),
                                  batches)

    def close(self) -> None:
        ray = _require_ray()
        for actor in self._actors:
            ray.kill(actor)
        self._actors = []
        if self._started_here:
            ray.shutdown()
            self._started_here = False


class _PipelineActor:
    """Holds one :class:`~fiqa.pipeline.FacePipeline` for the actor's lifetime."""

    def __init__(self, spec: PipelineSpec):
        from fiqa.engines.local import limit_threads

        limit_threads()
        self._pipeline = spec.build()

    def metadata(self) -> dict:
        return self._pipeline.metadata()

    def run_batch(self, items: list[Item]) -> tuple[list[Record], dict[str, float]]:
        return self._pipeline.run_batch(items)
