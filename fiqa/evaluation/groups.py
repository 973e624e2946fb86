"""Groups of images for differential outcomes: from the user's CSV, or the ITA skin-tone proxy.

fiqa never guesses sex, age or ethnicity. Groups come either from a CSV the user keeps::

    path,sex,age_band,subject
    lfw/Ann/Ann_0001.jpg,f,30-45,Ann

(a ``path`` column, one or more group columns, optionally a ``subject`` column naming the
person, which the bootstrap resamples), or from the individual typology angle fiqa
measures in each image (``"ita"``; :mod:`fiqa.measures.skin_tone`), an image property that
moves with lighting, not an attribute of the person.

Paths are matched to the scored images robustly: as given, as absolute paths (relative
ones joined to ``root``, by default the CSV's folder, then the current folder), with
symlinks resolved, and finally by their trailing components (``Ann/Ann_0001.jpg``) when
those are unique. CSV paths that match no scored image are counted and listed, never
silently dropped.

Without a ``subject`` column, an image's subject is the folder it is in (LFW's
``<Name>/<Name>_0001.jpg``); give the column when folders do not name people (CFP's
``<id>/frontal/01.jpg``: use ``subject_depth=2``).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from fiqa.evaluation.edc_run import _suffix_table
from fiqa.measures.skin_tone import category_order, ita_category

#: ``--groups`` value selecting the skin-tone proxy instead of a CSV.
ITA_SPEC = "ita"
#: Group column holding the ITA category.
ITA_COLUMN = "skin_tone_ita"
#: The scores column the ITA category is read from.
ITA_MEASURE = "IndividualTypologyAngle"
#: Shown with every ITA result.
ITA_NOTE = ("skin_tone_ita is the individual typology angle of the skin pixels in the image "
            "(an image property that also moves with exposure and white balance), not a "
            "person's attribute")
#: Columns of a groups CSV that are not group columns.
RESERVED = ("path", "subject")


@dataclass(frozen=True)
class Groups:
    """Group labels aligned with a table of scored images.

    Attributes
    ----------
    labels : DataFrame
        One row per scored image (same order), with ``subject`` and one column per
        attribute (missing label: NaN).
    attributes : tuple of str
        The group columns.
    source : str
        ``"ita"`` or the CSV path.
    unmatched : list of str
        CSV paths that match no scored image.
    order : dict
        Attribute -> preferred group order (lightest to darkest for ITA).
    note : str
        Caveat shown with every result.
    """

    labels: pd.DataFrame
    attributes: tuple[str, ...]
    source: str
    unmatched: list[str] = field(default_factory=list)
    order: dict[str, list[str]] = field(default_factory=dict)
    note: str = ""

    def subset(self, rows) -> Groups:
        """The labels of ``rows`` (positions in :attr:`labels`), in that order, e.g. for the
        same images scored again under a perturbation."""
        return dataclasses.replace(self, labels=self.labels.iloc[list(rows)].reset_index(drop=True))

    def unlabelled(self, attribute: str) -> int:
        """Scored images with no label for ``attribute``."""
        return int(self.labels[attribute].isna().sum())

    def summary(self) -> str:
        """One line: where the groups came from and what did not match."""
        parts = [f"groups from {self.source}: {', '.join(self.attributes)}"]
        for attribute in self.attributes:
            if self.unlabelled(attribute):
                parts.append(f"{self.unlabelled(attribute)} scored images have no {attribute}")
        if self.unmatched:
            shown = ", ".join(self.unmatched[:3])
            parts.append(f"{len(self.unmatched)} paths in the groups file match no scored "
                         f"image (e.g. {shown})")
        return "; ".join(parts)


def subjects_from_paths(paths, *, depth: int = 1) -> np.ndarray:
    """The folder ``depth`` levels above each file, as a full path (the default subject).

    Examples
    --------
    >>> subjects_from_paths(["/d/lfw/Ann/Ann_0001.jpg", "/d/cfp/007/frontal/01.jpg"], depth=1)
    array(['/d/lfw/Ann', '/d/cfp/007/frontal'], dtype=object)
    >>> subjects_from_paths(["/d/cfp/007/frontal/01.jpg"], depth=2).tolist()
    ['/d/cfp/007']
    """
    if depth < 1:
        raise ValueError(f"subject depth must be at least 1, got {depth}")
    return np.array([str(Path(str(path)).parents[depth - 1]) for path in paths], dtype=object)


def match_paths(wanted, known, *, bases) -> np.ndarray:
    """Row of ``known`` holding each of ``wanted`` (-1 when none); see the module notes.

    Examples
    --------
    >>> match_paths(["b/x.jpg", "zzz.jpg"], ["/data/a/x.jpg", "/data/b/x.jpg"], bases=["/data"])
    array([ 1, -1])
    """
    known = [str(path) for path in known]
    exact = {path: row for row, path in enumerate(known)}
    absolute = {_absolute(path, Path.cwd()): row for row, path in enumerate(known)}
    resolved = {str(Path(path).resolve()): row for path, row in absolute.items()}
    suffixes: dict[int, dict[tuple, int]] = {}
    rows = []
    for path in map(str, wanted):
        row = exact.get(path, -1)
        candidates = [Path(path)] if Path(path).is_absolute() else [Path(b) / path for b in bases]
        for candidate in candidates:
            if row < 0:
                row = absolute.get(os.path.abspath(candidate), -1)
            if row < 0:
                row = resolved.get(str(candidate.resolve()), -1)
        if row < 0:
            parts = Path(path).parts
            if len(parts) not in suffixes:
                suffixes[len(parts)] = _suffix_table(known, len(parts))
            row = suffixes[len(parts)].get(parts, -1)
        rows.append(row)
    return np.asarray(rows, np.int64)


def _absolute(path: str, base: Path) -> str:
    return os.path.abspath(path if Path(path).is_absolute() else base / path)


def read_groups(csv_path: str | os.PathLike, image_paths, *, root: str | os.PathLike | None = None,
                subject_depth: int = 1) -> Groups:
    """Groups from a CSV (``path``, group columns, optional ``subject``) for ``image_paths``.

    Raises
    ------
    FileNotFoundError
        The CSV does not exist.
    ValueError
        No ``path`` column, no group column, a path given twice with different labels, or
        no CSV path matches any scored image.
    """
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise FileNotFoundError(f"groups file not found: {csv_path}")
    table = pd.read_csv(csv_path, dtype=str, keep_default_na=False, na_values=[""])
    if "path" not in table:
        raise ValueError(f"{csv_path} needs a 'path' column (image path -> group columns); it has "
                         f"{list(table.columns)}")
    attributes = tuple(column for column in table.columns if column not in RESERVED)
    if not attributes:
        raise ValueError(f"{csv_path} has no group column besides {list(RESERVED)}")
    table = table.drop_duplicates()
    repeated = table["path"][table["path"].duplicated()]
    if len(repeated):
        raise ValueError(f"{csv_path} gives {len(repeated)} paths more than one set of labels, "
                         f"e.g. {repeated.iloc[0]}")
    image_paths = [str(path) for path in image_paths]
    bases = [Path(root)] if root is not None else [csv_path.parent, Path.cwd()]
    rows = match_paths(table["path"], image_paths, bases=bases)
    unmatched = table["path"][rows < 0].tolist()
    if len(unmatched) == len(table):
        raise ValueError(f"none of the {len(table)} paths in {csv_path} matches a scored image "
                         f"(e.g. {unmatched[0]!r}; scored e.g. {image_paths[0]!r}); give "
                         "paths as scored, or relative to --root")
    labels = pd.DataFrame(index=range(len(image_paths)), columns=list(attributes), dtype=object)
    matched = table[rows >= 0]
    labels.iloc[rows[rows >= 0], :] = matched[list(attributes)].to_numpy()
    subjects = pd.Series(subjects_from_paths(image_paths, depth=subject_depth), dtype=object)
    if "subject" in table:
        given = pd.Series(matched["subject"].to_numpy(), index=rows[rows >= 0]).dropna()
        subjects[given.index] = given.to_numpy()
    labels.insert(0, "subject", subjects.to_numpy())
    return Groups(labels=labels, attributes=attributes, source=str(csv_path), unmatched=unmatched)


def ita_groups(scores: pd.DataFrame, *, subject_depth: int = 1) -> Groups:
    """The ITA category of each scored image (:func:`fiqa.measures.skin_tone.ita_category`);
    images without an ITA (no face, greyscale) get no group and are counted as unlabelled.

    Examples
    --------
    >>> scores = pd.DataFrame({"path": ["a/1.jpg", "b/1.jpg"], "status": ["ok", "no_face"],
    ...                        "IndividualTypologyAngle": [30.0, float("nan")]})
    >>> ita_groups(scores).labels["skin_tone_ita"].tolist()
    ['intermediate', nan]
    """
    if ITA_MEASURE not in scores:
        raise ValueError(f"the scores have no {ITA_MEASURE} column: score with "
                         "--measures ...,skin_tone (fiqa gate/score --groups ita adds it)")
    ita = pd.to_numeric(scores[ITA_MEASURE], errors="coerce").to_numpy(np.float64)
    categories = pd.Series(ita_category(ita)).where(np.isfinite(ita))  # no ITA: no group
    labels = pd.DataFrame({"subject": subjects_from_paths(scores["path"], depth=subject_depth),
                           ITA_COLUMN: categories.to_numpy()})
    return Groups(labels=labels, attributes=(ITA_COLUMN,), source="ita",
                  order={ITA_COLUMN: category_order()}, note=ITA_NOTE)


def load_groups(spec: str, scores: pd.DataFrame, *, root: str | os.PathLike | None = None,
                subject_depth: int = 1) -> Groups:
    """``"ita"`` (:func:`ita_groups`) or a CSV path (:func:`read_groups`) for ``scores``."""
    if str(spec).strip().lower() == ITA_SPEC:
        return ita_groups(scores, subject_depth=subject_depth)
    return read_groups(spec, scores["path"], root=root, subject_depth=subject_depth)


def wants_ita(spec: str | None) -> bool:
    """Whether a ``--groups`` value asks for the ITA proxy (which must then be scored)."""
    return spec is not None and str(spec).strip().lower() == ITA_SPEC
