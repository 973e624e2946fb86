"""Result tables written incrementally, resumable, and finished in a stable order.

Rows are appended to a journal (``OUT.partial.csv``) as batches finish, so a killed run
loses at most the batch in flight. Re-running onto the same OUT skips every path already
in OUT or the journal. :meth:`ResultsFile.finish` writes OUT in input order (CSV, Parquet
or OFIQ's ``;``-separated layout), the run record ``OUT.run.json``, and removes the
journal, so an interrupted-and-resumed run gives the same file as an uninterrupted one.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from fiqa.runs import write_record

FORMATS = ("csv", "parquet", "ofiq")


class ResultsFile:
    """An output table under construction.

    Parameters
    ----------
    out : path-like
        ``.csv`` or ``.parquet`` (``format="ofiq"`` writes ``;``-separated text).
    columns : list of str
        The row layout; a resumed run must use the same layout.
    format : {"csv", "parquet", "ofiq"}, optional
        Defaults from the file ending.
    key : str
        Column naming the input (used to skip finished inputs and to order the output).
    """

    def __init__(self, out: str | os.PathLike, *, columns: Sequence[str], format: str | None = None,
                 key: str = "path"):
        self.out = Path(out)
        self.format = format or ("parquet" if self.out.suffix.lower() == ".parquet" else "csv")
        if self.format not in FORMATS:
            raise ValueError(f"unknown output format {self.format!r}; choose from {', '.join(FORMATS)}")
        if self.format == "parquet" and self.out.suffix.lower() != ".parquet":
            raise ValueError(f"Parquet output needs a .parquet file name, got {self.out}")
        self.columns = list(columns)
        self.key = key
        self.journal = self.out.with_name(self.out.name + ".partial.csv")
        self.meta_path = self.out.with_name(self.out.name + ".run.json")

    def existing(self) -> pd.DataFrame:
        """Rows already written by earlier runs (finished OUT and an unfinished journal)."""
        frames = [frame for frame in (self._read_out(), self._read_journal()) if len(frame)]
        if not frames:
            return pd.DataFrame(columns=self.columns)
        rows = pd.concat(frames, ignore_index=True)
        missing = set(self.columns) - set(rows.columns)
        if missing:
            raise ValueError(
                f"{self.out} was written with other columns (missing {sorted(missing)[:5]}); "
                "score with the same --measures, or choose a new output file")
        return rows.drop_duplicates(self.key, keep="last")[self.columns]

    def done(self) -> set[str]:
        """Inputs that need no scoring again."""
        return set(self.existing()[self.key].astype(str))

    def append(self, rows: Iterable[dict]) -> None:
        """Add finished rows to the journal (flushed to disk before returning)."""
        frame = pd.DataFrame(list(rows), columns=self.columns)
        if frame.empty:
            return
        if "error" in frame:
            frame["error"] = frame["error"].astype(str).str.replace(r"[\r\n]+", " ", regex=True)
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self._drop_torn_row()
        header = not self.journal.exists() or self.journal.stat().st_size == 0
        with open(self.journal, "a", newline="") as handle:
            frame.to_csv(handle, header=header, index=False)
            handle.flush()
            os.fsync(handle.fileno())

    def finish(self, order: Sequence[str], metadata: dict) -> pd.DataFrame:
        """Write OUT in ``order`` (inputs of earlier runs not in ``order`` follow) and the sidecar."""
        rows = self.existing()
        position = {name: index for index, name in enumerate(order)}
        rows = rows.assign(_order=rows[self.key].astype(str).map(position).fillna(len(position)))
        rows = rows.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)
        rows["error"] = rows["error"].fillna("")
        self.out.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.out.with_name(self.out.name + ".tmp")
        if self.format == "parquet":
            rows.to_parquet(temporary, index=False)
        elif self.format == "ofiq":
            ofiq_layout(rows).to_csv(temporary, sep=";", index=False)
        else:
            rows.to_csv(temporary, index=False)
        os.replace(temporary, self.out)
        counts = rows["status"].value_counts().to_dict() if "status" in rows else {}
        sidecar = {**metadata, "status_counts": counts}
        sidecar["results"] = {**sidecar.get("results", {}), "rows": len(rows),
                              "format": self.format}
        if self.format == "ofiq":  # the OFIQ layout has no error column; keep the reasons here
            failed = rows[rows["status"] != "ok"]
            sidecar["results"]["failures"] = dict(zip(failed[self.key].astype(str),
                                                      failed["error"]))
        write_record(self.out, sidecar)
        self.journal.unlink(missing_ok=True)
        return rows

    def _read_out(self) -> pd.DataFrame:
        if not self.out.exists():
            return pd.DataFrame()
        if self.format == "parquet":
            return pd.read_parquet(self.out)
        if self.format == "ofiq":
            raise ValueError(f"{self.out} exists; OFIQ-format output cannot be resumed - "
                             "remove it or write to a new file")
        return pd.read_csv(self.out, dtype=self._text_columns())

    def _drop_torn_row(self) -> None:
        """Cut a row that a killed run left half-written, so appends start on a fresh line."""
        if not self.journal.exists():
            return
        with open(self.journal, "rb+") as handle:
            data = handle.read()
            if data and not data.endswith(b"\n"):
                handle.truncate(data.rfind(b"\n") + 1)

    def _read_journal(self) -> pd.DataFrame:
        if not self.journal.exists():
            return pd.DataFrame()
        text = self.journal.read_text()
        if not text.endswith("\n"):  # the run was killed mid-line: ignore the torn row
            text = text[: text.rfind("\n") + 1]
        if not text.strip():
            return pd.DataFrame()
        return pd.read_csv(io.StringIO(text), dtype=self._text_columns())

    def _text_columns(self) -> dict:
        return {column: str for column in (self.key, "error") if column in self.columns}


def ofiq_layout(rows: pd.DataFrame) -> pd.DataFrame:
    """OFIQ's result layout: ``Filename``, every raw value, then every ``<Name>.scalar``."""
    scalars = [c for c in rows.columns if c.endswith(".scalar")]
    raws = [c[: -len(".scalar")] for c in scalars]
    table = rows[["path", *raws, *scalars]].rename(columns={"path": "Filename"})
    return table
