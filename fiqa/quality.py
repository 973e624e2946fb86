"""The quality row: which measures a run computes, and their columns for a batch of faces.

Row layout: ``path``, ``status`` (``ok``, ``no_face``, ``error``), ``error``,
``face_count``, then for each measure ``<Name>`` (raw) and ``<Name>.scalar``. The
journey that produces the faces is :mod:`fiqa.pipeline`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from fiqa.context import FaceContext
from fiqa.measures import create_scorer, select_measures

BASE_COLUMNS = ("path", "status", "error", "face_count")


def score_columns(measure_names: Sequence[str]) -> list[str]:
    """The row layout for these measures: base columns, then raw and scalar per measure.

    Examples
    --------
    >>> score_columns(["Sharpness"])
    ['path', 'status', 'error', 'face_count', 'Sharpness', 'Sharpness.scalar']
    """
    return list(BASE_COLUMNS) + [c for m in measure_names for c in (m, f"{m}.scalar")]


def base_row(columns: Sequence[str], name: str) -> dict:
    """An ``ok`` row for ``name`` with every measure column NaN."""
    row = dict.fromkeys(columns, np.nan)
    row.update(path=name, status="ok", error="", face_count=0)
    return row


class QualityMeasures:
    """The selected measure families (each with its models) and the columns they fill.

    Parameters
    ----------
    measures : sequence of str, optional
        Family or measure names (see :func:`fiqa.measures.list_measures`); None for all,
        an empty sequence for none.
    """

    def __init__(self, measures: Sequence[str] | None = None):
        self.selection = select_measures(measures) if measures is None or len(measures) else {}
        self.families = {family: create_scorer(family) for family in self.selection}

    @property
    def names(self) -> list[str]:
        return [name for names in self.selection.values() for name in names]

    @property
    def columns(self) -> list[str]:
        return score_columns(self.names)

    def metadata(self) -> dict:
        return {"measures": self.names,
                "scorers": {family: scorer.metadata() for family, scorer in self.families.items()}}

    def compute(self, contexts: Sequence[FaceContext], *,
                seconds: dict[str, float] | None = None) -> list[dict | str]:
        """Per context: its measure columns, or why a family failed on it."""
        out: list[dict | str] = [{} for _ in contexts]
        for family, scorer in self.families.items():
            started = time.perf_counter()
            for index, values in enumerate(self._family_values(family, scorer, contexts)):
                if isinstance(out[index], str):
                    continue
                if isinstance(values, str):
                    out[index] = values
                else:
                    out[index].update(values)
            if seconds is not None:
                seconds[family] = seconds.get(family, 0.0) + time.perf_counter() - started
        return out

    def _family_values(self, family, scorer, contexts) -> list[dict | str]:
        """A batch that raises is retried face by face, so one bad face cannot sink the others."""
        try:
            return self._columns_for(family, scorer, contexts)
        except Exception:  # noqa: BLE001 - isolated below, reported per face
            results: list[dict | str] = []
            for ctx in contexts:
                try:
                    results.extend(self._columns_for(family, scorer, [ctx]))
                except Exception as exc:  # noqa: BLE001 - becomes the row's error
                    results.append(f"{family} measures failed: {type(exc).__name__}: {exc}")
            return results

    def _columns_for(self, family, scorer, contexts) -> list[dict]:
        raw = scorer.raw(contexts)
        columns: list[dict] = [{} for _ in contexts]
        for measure in self.selection[family]:
            values = np.asarray(raw[measure], np.float64)
            for target, value, scalar in zip(columns, values, scorer.scalar(measure, values)):
                target[measure] = float(value)
                target[f"{measure}.scalar"] = float(scalar)
        return columns
