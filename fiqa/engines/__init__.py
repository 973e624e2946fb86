"""Where batches of inputs are scored: this process, local worker processes, or Ray.

Every engine has the same interface: ``metadata()`` and ``run(batches)``, which yields,
in input order, ``(rows, stage_seconds)`` for each batch of paths.
"""

from __future__ import annotations


def create_engine(name: str = "local", *, workers: int = 1, measures=None, address: str | None = None):
    """``"local"`` (``workers`` processes; 1 = in this process) or ``"ray"``."""
    if name == "local":
        from fiqa.engines.local import LocalEngine
        return LocalEngine(workers=workers, measures=measures)
    if name == "ray":
        from fiqa.engines.ray import RayEngine
        return RayEngine(workers=workers, measures=measures, address=address)
    raise ValueError(f"unknown engine {name!r}; choose 'local' or 'ray'")
