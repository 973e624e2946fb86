"""Checks for command options, run before any work so a bad option costs nothing.

Each check returns the cleaned value or raises :class:`ValueError` with a one-line
message that names the option and says what to do.

Examples
--------
>>> positive_int("16", option="--batch-size")
16
>>> results_format("scores.parquet")
'parquet'
"""

from __future__ import annotations

import os
from pathlib import Path

#: Results-table layouts and the file endings each may be written under.
FORMAT_ENDINGS = {"csv": (".csv",), "parquet": (".parquet",), "ofiq": (".csv", ".txt")}


def positive_int(value, *, option: str) -> int:
    """``value`` as an int of at least 1 (``--batch-size``, ``--workers``, ``--limit`` ...).

    Examples
    --------
    >>> positive_int(0, option="--workers")
    Traceback (most recent call last):
    ...
    ValueError: --workers must be a whole number of at least 1, got 0
    """
    number = None
    if isinstance(value, int | str) and not isinstance(value, bool):
        try:
            number = int(value)
        except ValueError:
            pass
    if number is None or number < 1:
        raise ValueError(f"{option} must be a whole number of at least 1, got {value}")
    return number


def results_format(out: str | os.PathLike, format: str | None = None) -> str:
    """The results layout for ``out``: ``format`` checked against the ending, or from it.

    ``.csv`` gives CSV and ``.parquet`` Parquet; OFIQ's ``;``-separated layout
    (``format="ofiq"``) is text, so it needs ``.csv`` or ``.txt``.

    Examples
    --------
    >>> results_format("out.txt", "ofiq")
    'ofiq'
    >>> results_format("out.xlsx")
    Traceback (most recent call last):
    ...
    ValueError: -o out.xlsx: unsupported ending '.xlsx'; use .csv or .parquet (or .txt with --format ofiq)
    """
    ending = Path(out).suffix.lower()
    if format is None:
        for name in ("csv", "parquet"):
            if ending in FORMAT_ENDINGS[name]:
                return name
        shown = f"unsupported ending {ending!r}" if ending else "no file ending"
        raise ValueError(f"-o {out}: {shown}; use .csv or .parquet (or .txt with --format ofiq)")
    if format not in FORMAT_ENDINGS:
        raise ValueError(f"unknown output format {format!r}; choose from {', '.join(FORMAT_ENDINGS)}")
    endings = FORMAT_ENDINGS[format]
    if ending not in endings:
        raise ValueError(f"-o {out}: --format {format} writes {' or '.join(endings)} files; "
                         f"name the output with {' or '.join(endings)}")
    return format


def writable_output(out: str | os.PathLike, *, option: str = "-o") -> Path:
    """``out`` as a Path, refused if it is a folder or cannot be created or replaced.

    Missing parent folders are fine (they are created) if the nearest existing one is
    writable.

    Examples
    --------
    >>> import tempfile
    >>> writable_output(tempfile.mkdtemp())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: -o ... is a folder; give a file name inside it
    """
    path = Path(out)
    if path.is_dir():
        raise ValueError(f"{option} {path} is a folder; give a file name inside it")
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise ValueError(f"{option} {path}: {folder} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"{option} {path}: cannot write in {folder} (permission denied); "
                         "choose another output folder")
    if path.exists() and not os.access(path, os.W_OK):
        raise ValueError(f"{option} {path} exists and is read-only; choose another output file")
    return path


def writable_folder(out: str | os.PathLike, *, option: str = "-o") -> Path:
    """``out`` as a Path to a run folder that exists or can be made, and is writable.

    Examples
    --------
    >>> import tempfile
    >>> file = tempfile.NamedTemporaryFile(delete=False).name
    >>> writable_folder(file)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: -o ... is a file; a run folder is needed here
    """
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{option} {path} is a file; a run folder is needed here")
    if path.is_dir():
        if not os.access(path, os.W_OK | os.X_OK):
            raise ValueError(f"{option} {path}: cannot write in it (permission denied)")
        return path
    writable_output(path / "run.json", option=option)
    return path


def results_output(out: str | os.PathLike, format: str | None = None) -> tuple[Path, str]:
    """:func:`writable_output` and :func:`results_format` together: ``(path, format)``."""
    chosen = results_format(out, format)
    return writable_output(out), chosen
