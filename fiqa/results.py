"""Results tables that hold exactly one command's inputs, resumable only when nothing changed.

The rules (also in the README):

- ``OUT`` holds one row per input of this command, in input order, and nothing else. A
  path given more than once (named twice, or found by a folder and a list) is scored once
  and gets a row at each place it appears. An earlier ``OUT`` is never merged into; it is
  replaced, in one step, when the new run finishes.
- While a run is in progress its rows go to a journal, ``OUT.partial.csv``, beside
  ``OUT.partial.json`` which records what the run is: its inputs in order, its columns and
  its parameters (measures, model sha256s). Each journal row also records the input file's
  fingerprint (size, ``mtime_ns``, sha256 of its bytes), taken as the row is journalled.
- A rerun resumes the journal only if it is the same run (same inputs, columns and
  parameters); rows whose file has changed since are scored again. With ``resume="auto"``
  any other journal is discarded and the run starts fresh (:attr:`ResultsFile.note` says
  why); ``resume="require"`` refuses instead, ``resume="never"`` always starts fresh.
- ``OUT.lock`` keeps a second run off the same ``OUT`` (it fails at once, naming the pid).
- Every file is written to a unique temporary name and renamed into place, so no run,
  however it ends, leaves a half-written ``OUT`` or sidecar.

CSV cells are written as they are, including paths beginning with ``=``, ``+``, ``-`` or
``@``: the table is data that fiqa and other tools join on by path, so rewriting a cell
(the usual ``'`` prefix) would break every join; open it in a spreadsheet with import (all
columns as text), not by double-click.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Self

import pandas as pd

from fiqa.files import OutputLock, atomic_write, fingerprint, same_content
from fiqa.options import results_output
from fiqa.runs import record_path, write_record

FORMATS = ("csv", "parquet", "ofiq")
RESUME_POLICIES = ("auto", "require", "never")
#: Journal-only columns: the fingerprint of the input each row was scored from.
PRINT_COLUMNS = ("source_size", "source_mtime_ns", "source_sha256")


class ResultsFile:
    """A results table under construction, locked for one run (see the module rules).

    Parameters
    ----------
    out : path-like
        ``.csv``, ``.parquet``, or ``.csv``/``.txt`` with ``format="ofiq"`` (checked here,
        with the folder, before any work).
    columns : list of str
        The row layout.
    format : {"csv", "parquet", "ofiq"}, optional
        Defaults from the file ending.
    key : str
        Column naming the input.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> with ResultsFile(out, columns=["path", "status", "error"]) as results:
    ...     todo = results.open(["a", "b", "a"], identity={"measures": []})
    ...     results.append([{"path": p, "status": "ok", "error": ""} for p in todo])
    ...     results.finish({})["path"].tolist()
    ['a', 'b', 'a']
    """

    def __init__(self, out: str | os.PathLike, *, columns: Sequence[str], format: str | None = None,
                 key: str = "path"):
        self.out, self.format = results_output(out, format)
        self.columns = list(columns)
        self.key = key
        self.journal = self.out.with_name(self.out.name + ".partial.csv")
        self.journal_meta = self.out.with_name(self.out.name + ".partial.json")
        self.meta_path = record_path(self.out)
        self.lock = OutputLock(self.out)
        self.inputs: list[str] = []
        self.note = ""
        self.changed: list[str] = []
        self._done: set[str] = set()

    def open(self, inputs: Sequence[str | os.PathLike], *, identity: Mapping,
             resume: str = "auto") -> list[str]:
        """Lock ``OUT``, take up a journal of the same run, and return what is left to score.

        Parameters
        ----------
        inputs : list of path-like
            This command's inputs in order (duplicates allowed).
        identity : mapping
            JSON-serialisable parameters that decide the rows (measures, model sha256s...);
            not ones that do not (workers, batch size).
        resume : {"auto", "require", "never"}

        Returns
        -------
        list of str
            Distinct inputs without a usable journal row, in input order.

        Raises
        ------
        ValueError
            Another run holds the lock, or ``resume="require"`` and the journal is not
            this run's (the message says what differs).
        """
        if resume not in RESUME_POLICIES:
            raise ValueError(f"resume must be one of {', '.join(RESUME_POLICIES)}, got {resume!r}")
        self.lock.acquire()
        try:
            self.inputs = [str(path) for path in inputs]
            stamp = {"inputs": len(self.inputs), "inputs_sha256": _digest(self.inputs),
                     "columns": self.columns, "parameters": json.loads(json.dumps(identity, default=str))}
            reason = "resume=never" if resume == "never" else self._journal_mismatch(stamp)
            reason = reason or self._take_up_journal()
            if reason is not None and resume == "require":
                raise ValueError(f"cannot resume {self.out}: {reason}; rerun the original command, "
                                 "or start fresh (overwrite)")
            if reason is not None:
                self._start_journal(stamp, reason)
        except BaseException:
            self.lock.release()
            raise
        return self.todo

    @property
    def todo(self) -> list[str]:
        """Distinct inputs still to score, in input order."""
        return [path for path in dict.fromkeys(self.inputs) if path not in self._done]

    @property
    def journalled(self) -> int:
        """Distinct inputs with a row in the journal (for an "interrupted" message)."""
        return len(self._done)

    def append(self, rows: Iterable[dict]) -> None:
        """Add finished rows to the journal (flushed to disk before returning)."""
        frame = pd.DataFrame(list(rows), columns=self.columns)
        if frame.empty:
            return
        if "error" in frame:
            frame["error"] = frame["error"].astype(str).str.replace(r"[\r\n]+", " ", regex=True)
        names = frame[self.key].astype(str)
        prints = [fingerprint(name) for name in names]
        for column, values in zip(PRINT_COLUMNS, zip(*prints)):
            frame[column] = values
        with open(self.journal, "a", newline="") as handle:
            frame.to_csv(handle, header=False, index=False)
            handle.flush()
            os.fsync(handle.fileno())
        self._done.update(names)

    def finish(self, record: Mapping, *,
               transform: Callable[[pd.DataFrame], pd.DataFrame] | None = None) -> pd.DataFrame:
        """Write ``OUT`` (one row per input, in order) and its run record ``OUT.run.json``
        (``record`` with the status counts and rows added); unlock.

        ``transform`` may add columns (e.g. gate decisions) before the table is written.
        """
        missing = self.todo
        if missing:
            raise ValueError(f"{len(missing)} inputs have no row yet (first: {missing[0]}); the "
                             "journal is kept, rerun the same command to finish")
        rows = self._read_journal().drop_duplicates(self.key, keep="last").set_index(self.key)
        table = rows.loc[self.inputs].reset_index()[self.columns]
        table["error"] = table["error"].fillna("")
        if transform is not None:
            table = transform(table)
        atomic_write(self.out, lambda path: _write_table(table, path, self.format))
        counts = table["status"].value_counts().to_dict() if "status" in table else {}
        record = {**record, "status_counts": counts}
        record["results"] = {**record.get("results", {}), "rows": len(table), "format": self.format}
        if self.format == "ofiq":  # the OFIQ layout has no error column; keep the reasons here
            failed = table[table["status"] != "ok"]
            record["results"]["failures"] = dict(zip(failed[self.key].astype(str), failed["error"]))
        write_record(self.out, record)
        self.journal.unlink(missing_ok=True)
        self.journal_meta.unlink(missing_ok=True)
        self.close()
        return table

    def close(self) -> None:
        """Release the lock (an unfinished journal stays, to be resumed)."""
        self.lock.release()

    def __enter__(self) -> Self:
        self.lock.acquire()  # fail at once, before any work, if another run holds OUT
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _journal_mismatch(self, stamp: dict) -> str | None:
        """None if the journal on disk is this run's, else why not."""
        if not self.journal.exists():
            return "no journal"
        try:
            recorded = json.loads(self.journal_meta.read_text())
        except (OSError, ValueError):
            return f"{self.journal_meta.name} is missing or unreadable"
        if recorded.get("inputs_sha256") != stamp["inputs_sha256"]:
            return (f"the inputs differ (journal: {recorded.get('inputs')} inputs, "
                    f"now: {stamp['inputs']})")
        if recorded.get("columns") != stamp["columns"]:
            return "the columns differ (other --measures)"
        before, now = recorded.get("parameters", {}), stamp["parameters"]
        if before != now:
            keys = sorted(k for k in set(before) | set(now) if before.get(k) != now.get(k))
            return f"the parameters differ ({', '.join(keys)})"
        return None

    def _take_up_journal(self) -> str | None:
        """Keep the journal rows whose input is unchanged; rewrite it without the others.

        Returns None, or why the journal cannot be used.
        """
        try:
            rows = self._read_journal().drop_duplicates(self.key, keep="last")
            rows[list(PRINT_COLUMNS)]
        except (ValueError, KeyError) as exc:  # torn header, a foreign file ...
            return f"the journal is unreadable ({type(exc).__name__})"
        prints = rows[list(PRINT_COLUMNS)].fillna("").astype(str).itertuples(index=False)
        unchanged = [same_content(name, tuple(p)) for name, p in zip(rows[self.key], prints)]
        self.changed = rows.loc[[not u for u in unchanged], self.key].astype(str).tolist()
        rows = rows[pd.Series(unchanged, index=rows.index, dtype=bool)]  # [] would pick columns
        self._done = set(rows[self.key].astype(str))
        atomic_write(self.journal, lambda path: rows.to_csv(path, index=False))
        self.note = f"resumed {len(rows)} journalled rows"
        if self.changed:
            self.note += f"; {len(self.changed)} changed since and scored again"
        return None

    def _start_journal(self, stamp: dict, reason: str) -> None:
        had_journal = self.journal.exists()
        self._done = set()
        text = json.dumps(stamp, indent=1)
        atomic_write(self.journal_meta, lambda path: path.write_text(text))
        header = pd.DataFrame(columns=[*self.columns, *PRINT_COLUMNS])
        atomic_write(self.journal, lambda path: header.to_csv(path, index=False))
        self.note = f"started fresh: the old journal was not resumed ({reason})" if had_journal else ""

    def _read_journal(self) -> pd.DataFrame:
        text = self.journal.read_text()
        if not text.endswith("\n"):  # a run killed mid-line: drop the torn row
            text = text[: text.rfind("\n") + 1]
        text_columns = {c: str for c in (self.key, "error", *PRINT_COLUMNS)}
        return pd.read_csv(io.StringIO(text), dtype=text_columns, keep_default_na=False,
                           na_values={c: [""] for c in self.columns if c not in text_columns})


def journalled_rows(out: str | os.PathLike) -> int:
    """Rows in the journal of an unfinished run on ``out`` (0 when there is none), e.g. for
    the message of an interrupted command.

    Examples
    --------
    >>> journalled_rows("nothing-here.csv")
    0
    """
    journal = Path(out).with_name(Path(out).name + ".partial.csv")
    try:
        data = journal.read_bytes()
    except OSError:
        return 0
    return max(0, data.count(b"\n") - 1)  # the header line; a torn last row has no newline


def _write_table(table: pd.DataFrame, path, format: str) -> None:
    if format == "parquet":
        table.to_parquet(path, index=False)
    elif format == "ofiq":
        ofiq_layout(table).to_csv(path, sep=";", index=False)
    else:
        table.to_csv(path, index=False)


def _digest(items: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(items).encode("utf-8", "surrogateescape")).hexdigest()


def ofiq_layout(rows: pd.DataFrame) -> pd.DataFrame:
    """OFIQ's result layout: ``Filename``, every raw value, then every ``<Name>.scalar``
    (then ``Decision`` and ``Reasons`` for a gated table)."""
    scalars = [c for c in rows.columns if c.endswith(".scalar")]
    raws = [c[: -len(".scalar")] for c in scalars]
    table = rows[["path", *raws, *scalars]].rename(columns={"path": "Filename"})
    if "decision" in rows:
        table = table.assign(Decision=rows["decision"], Reasons=rows["reasons"])
    return table
