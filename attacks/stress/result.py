"""What a sweep produced, and the run folder it is written to (tables and ``run.json``).

The HTML report is rendered by the command layer (``fiqa stress``) from these tables.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from fiqa.files import atomic_write
from fiqa.runs import write_record

#: Columns of the tidy results table.
RESULT_COLUMNS = ("model", "perturbation", "severity", "parameters", "metric", "measure", "value")

#: Files a sweep writes into its run folder (the report is added by ``fiqa stress``).
RUN_FILES = {"results": "results.csv", "scores": "perturbed_scores.csv",
             "comparisons": "comparisons.csv", "discard_edc": "discard_edc.csv",
             "discard_curves": "discard_curves.csv", "discard_fnmr": "discard_fnmr.csv",
             "run": "run.json", "report": "report.html"}


@dataclass
class StressResult:
    """Everything a sweep produced.

    Attributes
    ----------
    results : DataFrame
        Tidy: :data:`RESULT_COLUMNS`, one row per recognizer x perturbation x severity x
        metric (and measure, for the per-measure metrics); the clean baseline is
        ``("none", 0)``.
    scores : DataFrame
        One row per scored image and condition: ``perturbation``, ``severity``, ``image``,
        ``detected``, ``perturbation_info`` (JSON of what the generator drew/achieved),
        then the quality scorer's columns (see :mod:`fiqa.scoring`).
    comparisons : DataFrame
        One row per recognizer, pair and condition: ``model``, ``perturbation``, ``severity``, ``pair``,
        ``image_a``, ``image_b``, ``same``, ``clean_score``, ``score`` (NaN when not
        compared), ``status`` and ``accepted`` at the threshold.
    parameters : dict
        The sweep's settings, threshold and models (written to ``run.json``).
    examples : dict
        ``(perturbation, severity)`` -> the first perturbed image, for reports.
    discard : fiqa.evaluation.discard.PooledDiscard
        The discard experiment: per perturbation family its severities pooled with the
        clean comparisons, EDC of every measure and FNMR after discarding 5/10/20 % by
        CompressionArtifacts, Sharpness (those scored) and at random, per recognizer.
    seconds : dict
        Time per stage (summed over workers) and ``wall``.
    """

    results: pd.DataFrame
    scores: pd.DataFrame
    comparisons: pd.DataFrame
    parameters: dict
    examples: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)
    discard: object = None

    def metric(self, metric: str, *, perturbation: str, severity: int, measure: str = "",
               model: str | None = None) -> float:
        """One value of :attr:`results` (NaN when absent); ``model`` defaults to the first.

        Examples
        --------
        >>> r = StressResult(pd.DataFrame([("sface", "none", 0, "", "fnmr", "", 0.1)],
        ...                               columns=RESULT_COLUMNS), None, None, {})
        >>> r.metric("fnmr", perturbation="none", severity=0)
        0.1
        """
        table = self.results
        model = model if model is not None else table["model"].iloc[0]
        hit = table[(table["model"] == model) & (table["perturbation"] == perturbation)
                    & (table["severity"] == severity) & (table["metric"] == metric)
                    & (table["measure"] == measure)]
        return float(hit["value"].iloc[0]) if len(hit) else math.nan


def write_tables(result: StressResult, folder: str | os.PathLike, *,
                 record: dict) -> dict[str, Path]:
    """Write a sweep's tables and its run ``record`` into ``folder``; the paths by
    :data:`RUN_FILES` key (without the report)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = {key: folder / name for key, name in RUN_FILES.items() if key != "report"}
    tables = {"results": result.results, "scores": result.scores,
              "comparisons": result.comparisons}
    if result.discard is not None:
        tables.update(discard_edc=result.discard.edc, discard_curves=result.discard.curves,
                      discard_fnmr=result.discard.fnmr)
    for key in [k for k in written if k.startswith("discard") and k not in tables]:
        del written[key]
    for key, table in tables.items():
        atomic_write(written[key], lambda path, table=table: table.to_csv(path, index=False))
    write_record(folder, record)
    return written
