"""Where batches of :class:`fiqa.pipeline.Item` run: this process, local workers, or Ray.

Every engine is built from a :class:`fiqa.pipeline.PipelineSpec` (each worker builds its
own pipeline from it, models loaded once) and has the same interface: ``metadata()``,
``run(batches)``, which yields ``(records, stage_seconds)`` per batch in submission order,
and ``close()``. Engines are context managers. Results are the same record for record on
every engine.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

ENGINES = ("local", "ray")


def create_engine(name: str = "local", *, spec, workers: int = 1, address: str | None = None):
    """``"local"`` (``workers`` processes; 1 = in this process) or ``"ray"``.

    Examples
    --------
    >>> from fiqa.pipeline import PipelineSpec
    >>> create_engine("spark", spec=PipelineSpec())
    Traceback (most recent call last):
    ...
    ValueError: unknown engine 'spark'; choose from local, ray
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if name == "local":
        from fiqa.engines.local import LocalEngine
        return LocalEngine(spec, workers=workers)
    if name == "ray":
        from fiqa.engines.ray import RayEngine
        return RayEngine(spec, workers=workers, address=address)
    raise ValueError(f"unknown engine {name!r}; choose from {', '.join(ENGINES)}")


@dataclass(frozen=True)
class EngineOptions:
    """Where and how a command's pipeline batches run (the same options in every command)."""

    engine: str = "local"
    workers: int = 1
    address: str | None = None
    batch_size: int = 16
    progress: bool | None = None  # None: a bar only on a terminal

    def __post_init__(self):
        if self.engine not in ENGINES:
            raise ValueError(f"unknown engine {self.engine!r}; choose from {', '.join(ENGINES)}")
        for name in ("workers", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name.replace('_', '-')} must be a whole number >= 1, "
                                 f"got {value!r}")

    def record(self) -> dict:
        return {"engine": self.engine, "workers": self.workers, "address": self.address,
                "batch_size": self.batch_size}


#: The options of a command given none: this process, batches of 16.
DEFAULT_OPTIONS = EngineOptions()


@dataclass
class PipelineRun:
    """What :func:`run_pipeline` did: the records (if kept), models, stage seconds."""

    records: list = field(default_factory=list)
    metadata: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=lambda: defaultdict(float))


def run_pipeline(items: Sequence, spec, options: EngineOptions = DEFAULT_OPTIONS, *,
                 desc: str = "faces", keep: bool = True,
                 on_batch: Callable[[list], None] | None = None) -> PipelineRun:
    """Run ``items`` through the pipeline of ``spec`` on the engine of ``options``.

    Records come back (``keep``) and go to ``on_batch`` in input order, batch by batch.

    Examples
    --------
    >>> from fiqa.pipeline import Item, PipelineSpec
    >>> run = run_pipeline([Item("nothing", path="missing.jpg")], PipelineSpec(measures=()))
    >>> run.records[0].status, run.records[0].error
    ('error', 'file not found: missing.jpg')
    """
    with create_engine(options.engine, spec=spec, workers=options.workers,
                       address=options.address) as engine:
        return run_on(engine, items, options, desc=desc, keep=keep, on_batch=on_batch)


def run_on(engine, items: Sequence, options: EngineOptions = DEFAULT_OPTIONS, *,
           desc: str = "faces", keep: bool = True,
           on_batch: Callable[[list], None] | None = None) -> PipelineRun:
    """:func:`run_pipeline` on an engine that is already running (several passes, one pool)."""
    import sys

    from tqdm import tqdm

    run = PipelineRun(metadata={**engine.metadata(), "batch_size": options.batch_size})
    show = sys.stderr.isatty() if options.progress is None else options.progress
    batches = (list(items[start:start + options.batch_size])
               for start in range(0, len(items), options.batch_size))
    with tqdm(total=len(items), disable=not show, unit="img", desc=desc) as bar:
        for records, seconds in engine.run(batches):
            for stage, value in seconds.items():
                run.seconds[stage] += value
            if on_batch is not None:
                on_batch(records)
            if keep:
                run.records.extend(records)
            bar.update(len(records))
    run.seconds = dict(run.seconds)
    return run
