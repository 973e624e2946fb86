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


#: Where a sweep's non-mated comparisons come from (see :func:`sweep_pairs`).
IMPOSTOR_SOURCES = ("probes", "pairs")


def sweep_pairs(pairs: pd.DataFrame, *, limit: int | None, seed: int = 0,
                impostors: str = "probes") -> pd.DataFrame:
    """The pairs a sweep runs on: up to ``limit`` mated pairs and as many non-mated ones.

    ``impostors="probes"`` builds the non-mated pairs from the chosen mated pairs' own images
    (:func:`probe_non_mated`), so every perturbed probe serves one mated and one non-mated
    comparison and a sweep perturbs half as many images; ``"pairs"`` draws the file's own
    non-mated pairs (:func:`select_pairs`), whose probes are then perturbed as well.

    Examples
    --------
    >>> table = pd.DataFrame({"image_a": ["A/1", "B/1", "A/3"], "image_b": ["A/2", "B/2", "B/3"],
    ...                       "same": [True, True, False]})
    >>> sweep_pairs(table, limit=None)[["image_a", "image_b", "same"]].values.tolist()
    [['A/1', 'A/2', True], ['B/1', 'B/2', True], ['A/1', 'B/2', False], ['B/1', 'A/2', False]]
    """
    if impostors not in IMPOSTOR_SOURCES:
        raise ValueError(f"impostors must be one of {IMPOSTOR_SOURCES}, got {impostors!r}")
    if impostors == "pairs":
        return select_pairs(pairs, limit=limit, seed=seed)
    mated = select_pairs(pairs[pairs["same"].to_numpy(bool)], limit=limit, seed=seed)
    return pd.concat([mated, probe_non_mated(mated, seed=seed)], ignore_index=True)


def image_subjects(pairs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The person in each pair's two images: columns ``subject_a``/``subject_b`` if the
    table has them, else each image path's first folder (``Name/Name_0001.jpg`` in LFW,
    ``001/frontal/01.jpg`` in CFP).

    Examples
    --------
    >>> image_subjects(pd.DataFrame({"image_a": ["Al/Al_1.jpg"], "image_b": ["Bo/x/2.jpg"]}))
    (array(['Al'], dtype=object), array(['Bo'], dtype=object))
    """
    if "subject_a" in pairs and "subject_b" in pairs:
        return (pairs["subject_a"].astype(str).to_numpy(object),
                pairs["subject_b"].astype(str).to_numpy(object))
    sides = []
    for column in ("image_a", "image_b"):
        paths = pairs[column].astype(str).str.replace("\\", "/", regex=False)
        if not paths.str.contains("/").all():
            flat = paths[~paths.str.contains("/")].iloc[0]
            raise ValueError(f"cannot tell who is in {flat!r}: images of one person must lie "
                             "in one folder (as in LFW and CFP), or give the pairs table "
                             "subject_a and subject_b columns; or take the file's own "
                             "non-mated pairs (impostors='pairs', --impostors pairs)")
        sides.append(paths.str.split("/").str[0].to_numpy(object))
    return sides[0], sides[1]


def probe_non_mated(mated: pd.DataFrame, *, seed: int = 0) -> pd.DataFrame:
    """One non-mated pair per mated pair, from the mated pairs' own images: each pair's first
    image against the second image of another pair, always of another person.

    Pairs are grouped by person (groups and their members in an order drawn with ``seed``)
    and each first image is matched with the second image of the pair as many places on as
    the largest group has pairs, so no person meets themselves. Every second image is used
    exactly once. Raises ``ValueError`` if one person holds more than half of the pairs.

    Examples
    --------
    >>> mated = pd.DataFrame({"image_a": ["A/1", "B/1", "C/1"], "image_b": ["A/2", "B/2", "C/2"],
    ...                       "same": True})
    >>> sorted(probe_non_mated(mated)["image_b"]) == ["A/2", "B/2", "C/2"]
    True
    """
    subject_a, subject_b = image_subjects(mated)
    if not mated["same"].to_numpy(bool).all() or (subject_a != subject_b).any():
        raise ValueError("probe_non_mated needs mated pairs whose two images show one person "
                         "(by subject_a/subject_b or by folder)")
    rng = np.random.default_rng(seed)
    people = {person: [] for person in rng.permutation(np.unique(subject_a))}
    for row in rng.permutation(len(mated)):
        people[subject_a[row]].append(row)
    order = np.array([row for rows in people.values() for row in rows], int)
    largest = max((len(rows) for rows in people.values()), default=0)
    if 2 * largest > len(order):
        raise ValueError(f"cannot build non-mated pairs from these {len(order)} mated pairs: "
                         f"one person holds {largest} of them (more than half)")
    probes = np.empty(len(order), int)  # pair row -> the pair whose probe it meets
    probes[order] = order[(np.arange(len(order)) + largest) % len(order)]
    table = mated.reset_index(drop=True)
    table["image_b"] = mated["image_b"].to_numpy()[probes]
    if "subject_b" in table:
        table["subject_b"] = mated["subject_b"].to_numpy()[probes]
    table["same"] = False
    return table


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
