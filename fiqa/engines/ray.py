"""Score batches on a Ray cluster (or a local Ray instance) with a pool of scoring actors.

Why actors rather than stateless tasks or Ray Data: each actor loads the detector and the
measure models once and keeps them for every batch it scores, exactly like a local worker
process; :class:`ray.util.ActorPool` returns results in submission order, so the rows reach
the same resumable results file in the same order as with the local engine. Inputs are
paths: every node must see them (shared storage), and each actor decodes its own batches.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence


def _require_ray():
    try:
        import ray
    except ImportError:
        raise ValueError("the Ray engine needs Ray: pip install -e '.[ray]'") from None
    return ray


class RayEngine:
    """``workers`` scoring actors (1 CPU each) on the cluster at ``address``.

    ``address=None`` starts (or joins) a local Ray instance with ``workers`` CPUs;
    ``"auto"`` or ``"ray://host:10001"`` joins an existing cluster.
    """

    def __init__(self, *, workers: int = 1, measures=None, address: str | None = None):
        ray = _require_ray()
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self._started_here = not ray.is_initialized()
        if self._started_here:
            options = {"address": address} if address else {"num_cpus": workers}
            ray.init(include_dashboard=False, log_to_driver=False, **options)
        from ray.util import ActorPool

        actor_class = ray.remote(num_cpus=1)(_ScoringActor)
        self._actors = [actor_class.remote(measures) for _ in range(workers)]
        self._pool = ActorPool(self._actors)
        self.workers = workers
        self.address = address

    def metadata(self) -> dict:
        ray = _require_ray()
        details = ray.get(self._actors[0].metadata.remote())
        return {"engine": "ray", "workers": self.workers, "address": self.address or "local",
                "ray": ray.__version__, **details}

    def run(self, batches: Iterable[Sequence[str]]) -> Iterator[tuple[list[dict], dict[str, float]]]:
        yield from self._pool.map(lambda actor, batch: actor.score_batch.remote(list(batch)), batches)

    def close(self) -> None:
        ray = _require_ray()
        for actor in self._actors:
            ray.kill(actor)
        if self._started_here:
            ray.shutdown()


class _ScoringActor:
    """Holds one :class:`~fiqa.scoring.QualityScorer` for the actor's lifetime."""

    def __init__(self, measures):
        from fiqa.engines.local import limit_threads
        from fiqa.scoring import QualityScorer

        limit_threads()
        self._scorer = QualityScorer(measures=measures, decode_threads=1)

    def metadata(self) -> dict:
        return self._scorer.metadata()

    def score_batch(self, paths: list[str]) -> tuple[list[dict], dict[str, float]]:
        return self._scorer.score_batch(paths)
