"""Verification protocols as tidy tables: one row per comparison.

Every reader returns a :class:`pandas.DataFrame` with the columns ``image_a``, ``image_b``
(paths relative to the protocol's root folder, ``/``-separated), ``same`` (bool: mated
pair) and, where the protocol defines them, ``fold`` (int) and any other columns a CSV
protocol carries (``protocol`` in CFP, for example).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from fiqa.io import iter_image_paths

_TRUE = {"1", "true", "yes", "y", "same", "mated", "genuine"}
_FALSE = {"0", "false", "no", "n", "different", "non-mated", "nonmated", "impostor"}


def read_pairs(path: str | os.PathLike) -> pd.DataFrame:
    """Read a pairs file: a ``.csv`` table or the LFW ``pairs.txt`` format.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "pairs.csv"
    >>> _ = p.write_text("image_a,image_b,same\\na.jpg,b.jpg,1\\n")
    >>> read_pairs(p).to_dict("records")
    [{'image_a': 'a.jpg', 'image_b': 'b.jpg', 'same': True}]
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"pairs file not found: {path}")
    if path.suffix.lower() == ".csv":
        return read_pairs_csv(path)
    return read_lfw_pairs(path)


def read_pairs_csv(path: str | os.PathLike) -> pd.DataFrame:
    """Read a CSV with ``image_a``, ``image_b``, ``same`` (other columns are kept).

    ``same`` accepts 1/0, true/false, yes/no (any case). A ``fold`` column is read as int.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "pairs.csv"
    >>> _ = p.write_text("protocol,fold,image_a,image_b,same\\nFP,01,a.jpg,b.jpg,no\\n")
    >>> read_pairs_csv(p).to_dict("records")
    [{'protocol': 'FP', 'fold': 1, 'image_a': 'a.jpg', 'image_b': 'b.jpg', 'same': False}]
    """
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [column for column in ("image_a", "image_b", "same") if column not in table]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}; a pairs CSV needs image_a, "
                         f"image_b and same (1 for mated pairs, 0 otherwise); found {list(table)}")
    table["same"] = _parse_same(table["same"], source=str(path))
    if "fold" in table:
        try:
            table["fold"] = table["fold"].astype(int)
        except ValueError:
            raise ValueError(f"{path}: the fold column must hold integers") from None
    return table


def read_lfw_pairs(path: str | os.PathLike, *, extension: str = "jpg") -> pd.DataFrame:
    """Read LFW's ``pairs.txt`` (View 2: ``"10\\t300"`` header; or View 1: ``"1100"``).

    A header ``F N`` announces F folds, each N mated lines ``name i j`` followed by N
    non-mated lines ``name1 i name2 j``; a header ``N`` one fold of that layout. Images are
    ``<name>/<name>_NNNN.<extension>`` (4-digit, 1-based index).

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "pairs.txt"
    >>> _ = p.write_text("1\\t1\\nAl 1 2\\nAl 3 Bo 1\\n")
    >>> read_lfw_pairs(p)[["image_a", "image_b", "same", "fold"]].values.tolist()[1]
    ['Al/Al_0003.jpg', 'Bo/Bo_0001.jpg', False, 1]
    """
    lines = [line.split() for line in Path(path).read_text().splitlines() if line.strip()]
    if not lines:
        raise ValueError(f"{path}: empty pairs file")
    header, body = lines[0], lines[1:]
    try:
        numbers = [int(value) for value in header]
    except ValueError:
        raise ValueError(f"{path}: first line must be 'folds<TAB>pairs_per_class' (LFW View 2) "
                         f"or 'pairs_per_class' (View 1), got {' '.join(header)!r}") from None
    if len(numbers) not in (1, 2):
        raise ValueError(f"{path}: header must hold one or two integers, got {header}")
    folds, per_class = (1, numbers[0]) if len(numbers) == 1 else numbers
    if len(body) != folds * 2 * per_class:
        raise ValueError(f"{path}: header announces {folds} fold(s) x 2 x {per_class} pairs = "
                         f"{folds * 2 * per_class} lines, found {len(body)}")
    rows = []
    for number, fields in enumerate(body):
        fold = number // (2 * per_class) + 1
        expect_same = (number % (2 * per_class)) < per_class
        if expect_same and len(fields) == 3:
            name, i, j = fields
            rows.append((_lfw_path(name, i, extension), _lfw_path(name, j, extension), True, fold))
        elif not expect_same and len(fields) == 4:
            name_a, i, name_b, j = fields
            rows.append((_lfw_path(name_a, i, extension), _lfw_path(name_b, j, extension), False,
                         fold))
        else:
            kind = "mated 'name i j'" if expect_same else "non-mated 'name1 i name2 j'"
            raise ValueError(f"{path}: line {number + 2} should be a {kind} line, got "
                             f"{' '.join(fields)!r}")
    return pd.DataFrame(rows, columns=["image_a", "image_b", "same", "fold"])


def all_pairs(root: str | os.PathLike, *, cap: int = 10_000, seed: int = 0) -> pd.DataFrame:
    """Mated and non-mated pairs from identity folders ``<root>/<identity>/...``.

    Every image below an identity folder (recursively) belongs to that identity. All mated
    pairs are used when there are at most ``cap`` of them, otherwise ``cap`` are drawn at
    random; the same for non-mated pairs (two different identities). Rows are sorted
    mated first, then by path, so the same folder, cap and seed give the same table.

    Parameters
    ----------
    root : path-like
        Folder of identity sub-folders.
    cap : int
        Most pairs of each kind (mated, non-mated).
    seed : int
        Seed of the random draw.

    Examples
    --------
    >>> import tempfile
    >>> from PIL import Image
    >>> root = Path(tempfile.mkdtemp())
    >>> for name in ["a/1.png", "a/2.png", "b/1.png"]:
    ...     (root / name).parent.mkdir(exist_ok=True); Image.new("RGB", (2, 2)).save(root / name)
    >>> all_pairs(root)["same"].tolist()
    [True, False, False]
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"root folder not found: {root}")
    if cap < 1:
        raise ValueError(f"cap must be at least 1, got {cap}")
    identities = sorted(p for p in root.iterdir() if p.is_dir())
    paths, labels = [], []
    for label, folder in enumerate(identities):
        for image in iter_image_paths([folder]):
            paths.append(image.relative_to(root).as_posix())
            labels.append(label)
    if len({*labels}) < 2:
        raise ValueError(f"{root}: --all-pairs needs at least two identity folders holding "
                         f"images, found {len({*labels})}")
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    mated = _mated_pairs(labels, cap=cap, rng=rng)
    non_mated = _non_mated_pairs(labels, cap=cap, rng=rng)
    index = np.concatenate([mated, non_mated])
    names = np.asarray(paths, dtype=object)
    table = pd.DataFrame({
        "image_a": names[index[:, 0]],
        "image_b": names[index[:, 1]],
        "same": np.r_[np.ones(len(mated), bool), np.zeros(len(non_mated), bool)],
    })
    return table.sort_values(["same", "image_a", "image_b"], ascending=[False, True, True],
                             ignore_index=True)


def _mated_pairs(labels: np.ndarray, *, cap: int, rng: np.random.Generator) -> np.ndarray:
    groups = [np.flatnonzero(labels == label) for label in np.unique(labels)]
    blocks = []
    for members in groups:
        i, j = np.triu_indices(len(members), k=1)
        blocks.append(np.stack([members[i], members[j]], axis=1))
    pairs = np.concatenate(blocks) if blocks else np.zeros((0, 2), int)
    if len(pairs) > cap:
        pairs = pairs[np.sort(rng.choice(len(pairs), size=cap, replace=False))]
    return pairs


def _non_mated_pairs(labels: np.ndarray, *, cap: int, rng: np.random.Generator) -> np.ndarray:
    n = len(labels)
    counts = np.bincount(labels)
    total = (n * n - int(np.sum(counts.astype(np.int64) ** 2))) // 2
    if total <= cap:
        i, j = np.triu_indices(n, k=1)
        keep = labels[i] != labels[j]
        return np.stack([i[keep], j[keep]], axis=1)
    chosen = np.zeros((0, 2), np.int64)
    while len(chosen) < cap:  # rejection sampling: draws are rarely same-identity or repeated
        draw = rng.integers(0, n, size=(2 * (cap - len(chosen)) + 16, 2))
        draw = draw[labels[draw[:, 0]] != labels[draw[:, 1]]]
        draw = np.sort(draw, axis=1)
        merged = np.concatenate([chosen, draw])
        _, first = np.unique(merged, axis=0, return_index=True)
        chosen = merged[np.sort(first)]
    return chosen[:cap]


def _lfw_path(name: str, index: str, extension: str) -> str:
    try:
        number = int(index)
    except ValueError:
        raise ValueError(f"LFW image index must be an integer, got {index!r} for {name}") from None
    return f"{name}/{name}_{number:04d}.{extension}"


def _parse_same(values: pd.Series, *, source: str) -> pd.Series:
    lowered = values.astype(str).str.strip().str.lower()
    unknown = sorted(set(lowered) - _TRUE - _FALSE)
    if unknown:
        raise ValueError(f"{source}: column 'same' must hold 1/0 or true/false, found "
                         f"{unknown[:5]}")
    return lowered.isin(_TRUE)
