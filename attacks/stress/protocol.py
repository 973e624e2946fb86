"""What a sweep runs on: perturbation names, severities and pairs, parsed and checked."""

from __future__ import annotations

import numpy as np
import pandas as pd

from attacks import create_perturbation, list_perturbations
from attacks.severities import N_SEVERITIES


def parse_severities(text: str) -> tuple[int, ...]:
    """Severities from ``"1-5"``, ``"1,3,5"`` or ``"2"``.

    Examples
    --------
    >>> parse_severities("1-3"), parse_severities("5,1")
    ((1, 2, 3), (1, 5))
    """
    values: set[int] = set()
    try:
        for part in str(text).split(","):
            low, _, high = part.strip().partition("-")
            values.update(range(int(low), int(high or low) + 1))
    except ValueError:
        raise ValueError(f"severities must look like '1-5' or '1,3,5', got {text!r}") from None
    if not values or min(values) < 1 or max(values) > N_SEVERITIES:
        raise ValueError(f"severities must lie in 1..{N_SEVERITIES}, got {text!r}")
    return tuple(sorted(values))


def parse_perturbations(text: str) -> tuple[str, ...]:
    """Perturbation names from a comma list (``"all"`` = every registered one), checked.

    Examples
    --------
    >>> parse_perturbations("jpeg, gaussian_blur")
    ('jpeg', 'gaussian_blur')
    """
    names = list_perturbations() if text.strip() == "all" else [
        part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise ValueError("name at least one perturbation (see attacks.list_perturbations())")
    return tuple(dict.fromkeys(create_perturbation(name).name for name in names))


def select_pairs(pairs: pd.DataFrame, *, limit: int | None, seed: int = 0) -> pd.DataFrame:
    """At most ``limit`` mated and ``limit`` non-mated pairs, drawn with ``seed`` (order kept).

    Examples
    --------
    >>> table = pd.DataFrame({"image_a": list("abcd"), "image_b": list("efgh"),
    ...                       "same": [True, True, False, False]})
    >>> select_pairs(table, limit=1, seed=0)["same"].tolist()
    [True, False]
    """
    if limit is None:
        return pairs.reset_index(drop=True)
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    rng = np.random.default_rng(seed)
    keep = []
    for same in (True, False):
        rows = np.flatnonzero(pairs["same"].to_numpy(bool) == same)
        keep.extend(rows if len(rows) <= limit else rng.choice(rows, size=limit, replace=False))
    return pairs.iloc[np.sort(np.asarray(keep, int))].reset_index(drop=True)


def other_non_mated(pairs: pd.DataFrame, used: pd.DataFrame, *, limit: int | None,
                    seed: int = 0) -> pd.DataFrame | None:
    """Up to ``limit`` non-mated pairs of ``pairs`` that are not in ``used`` (None if limit is
    None or 0), drawn with ``seed``: extra clean comparisons to fix a threshold.

    Examples
    --------
    >>> table = pd.DataFrame({"image_a": list("abc"), "image_b": list("def"),
    ...                       "same": [False, False, True]})
    >>> other_non_mated(table, table.iloc[:1], limit=5)[["image_a", "image_b"]].values.tolist()
    [['b', 'e']]
    """
    if not limit:
        return None
    keys = set(zip(used["image_a"], used["image_b"]))
    spare = pairs[~pairs["same"].to_numpy(bool)
                  & [key not in keys for key in zip(pairs["image_a"], pairs["image_b"])]]
    return select_pairs(spare, limit=limit, seed=seed)
