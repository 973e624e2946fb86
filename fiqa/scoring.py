"""Score images with the quality measures: one row per input, whatever happens to it.

:class:`QualityScorer` holds the state (the detector and the measure scorers) and turns a
batch of inputs into rows. Engines (``fiqa.engines``) decide where batches run; the
results writer (``fiqa.results``) decides where rows go.

Row layout: ``path``, ``status`` (``ok``, ``no_face``, ``error``), ``error``,
``face_count``, then for each measure ``<Name>`` (raw) and ``<Name>.scalar``.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from fiqa.context import FaceContext
from fiqa.face import Face, FaceDetector
from fiqa.io import ImageLoadError, load_image
from fiqa.measures import create_scorer, select_measures

BASE_COLUMNS = ("path", "status", "error", "face_count")


class StageTimes:
    """Seconds spent per pipeline stage, summed over everything scored."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)

    def add(self, stage: str, started: float) -> float:
        now = time.perf_counter()
        self.seconds[stage] += now - started
        return now

    def merge(self, other: dict[str, float]) -> None:
        for stage, seconds in other.items():
            self.seconds[stage] += seconds


class QualityScorer:
    """Detects the subject face and computes the selected measures for batches of images.

    Parameters
    ----------
    measures : list of str, optional
        Family or measure names (see :func:`fiqa.measures.list_measures`); all by default.
    decode_threads : int
        Threads decoding files in :meth:`score_paths` (decoding releases the GIL).

    Examples
    --------
    >>> from skimage import data
    >>> scorer = QualityScorer(measures=["InterEyeDistance"])
    >>> row = scorer.score_images([data.astronaut()], names=["astronaut"])[0]
    >>> row["status"], row["face_count"], row["InterEyeDistance"] > 40
    ('ok', 1, True)
    """

    def __init__(self, *, measures: Sequence[str] | None = None, decode_threads: int = 2):
        self.selection = select_measures(measures)
        self.scorers = {family: create_scorer(family) for family in self.selection}
        self.detector = FaceDetector()
        self.decode_threads = decode_threads
        self.times = StageTimes()

    @property
    def measure_names(self) -> list[str]:
        return [name for names in self.selection.values() for name in names]

    @property
    def columns(self) -> list[str]:
        return score_columns(self.measure_names)

    def metadata(self) -> dict:
        """Models and parameters behind every row (recorded with the results)."""
        return {
            "detector": {"name": "yunet", "sha256": self.detector.model.sha256,
                         "score_threshold": self.detector.score_threshold},
            "measures": self.measure_names,
            "scorers": {family: scorer.metadata() for family, scorer in self.scorers.items()},
        }

    def score_paths(self, paths: Sequence[str | Path]) -> list[dict]:
        """Rows for image files (decoded in a thread pool), in the order given."""
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=self.decode_threads) as pool:
            loaded = list(pool.map(_load_or_error, paths))
        self.times.add("decode", started)
        names = [str(path) for path in paths]
        images = [image if error is None else None for image, error in loaded]
        errors = [error for _, error in loaded]
        return self._score(images, names, errors)

    def score_batch(self, paths: Sequence[str | Path]) -> tuple[list[dict], dict[str, float]]:
        """:meth:`score_paths` plus the seconds each stage took on this batch."""
        self.times = StageTimes()
        rows = self.score_paths(paths)
        return rows, dict(self.times.seconds)

    def score_images(self, images: Sequence[np.ndarray], *, names: Sequence[str]) -> list[dict]:
        """Rows for in-memory RGB ``uint8`` images, labelled by ``names``."""
        return self._score(list(images), list(names), [None] * len(images))

    def score_detected(self, images: Sequence[np.ndarray], faces: Sequence[list[Face]], *,
                       names: Sequence[str]) -> list[dict]:
        """Rows for images whose faces were already detected (by this detector, largest first)."""
        return self._score(list(images), list(names), [None] * len(images), list(faces))

    def _score(self, images, names, errors, detected=None) -> list[dict]:
        rows = [self._empty_row(name) for name in names]
        contexts: list[FaceContext] = []
        owners: list[int] = []
        started = time.perf_counter()
        for index, (image, error) in enumerate(zip(images, errors)):
            row = rows[index]
            if error is not None:
                row.update(status="error", error=error)
                continue
            try:
                faces = self.detector.detect(image) if detected is None else detected[index]
            except ValueError as exc:
                row.update(status="error", error=str(exc))
                continue
            row["face_count"] = len(faces)
            if not faces:
                row.update(status="no_face", error="no face detected")
                continue
            contexts.append(FaceContext.build(image, faces))
            owners.append(index)
        started = self.times.add("detect_align", started)
        for family, scorer in self.scorers.items():
            if not contexts:
                break
            for index, values in zip(owners, self._family_values(family, scorer, contexts)):
                if isinstance(values, str):
                    rows[index].update(status="error", error=values)
                else:
                    rows[index].update(values)
            started = self.times.add(family, started)
        return rows

    def _family_values(self, family, scorer, contexts) -> list[dict | str]:
        """Per context: measure columns, or an error message if the family failed on it.

        A batch that raises is retried face by face, so one bad face cannot sink the others.
        """
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

    def _empty_row(self, name: str) -> dict:
        row = dict.fromkeys(self.columns, np.nan)
        row.update(path=name, status="ok", error="", face_count=0)
        return row


def score_columns(measure_names: Sequence[str]) -> list[str]:
    """The row layout for these measures: base columns, then raw and scalar per measure."""
    return list(BASE_COLUMNS) + [c for m in measure_names for c in (m, f"{m}.scalar")]


def _load_or_error(path) -> tuple[np.ndarray | None, str | None]:
    try:
        return load_image(path), None
    except ImageLoadError as exc:
        return None, str(exc)
    except OSError as exc:  # permission denied and the like
        return None, f"cannot read file ({exc}): {path}"
