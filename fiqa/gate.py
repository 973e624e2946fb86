"""The pre-enrolment quality gate: a profile of per-measure bounds -> accept / reject + reasons.

A profile is a TOML file::

    name = "my-office"
    description = "what it is for"
    missing = "reject"              # a bound whose measure could not be computed rejects

    [rules.Sharpness]
    scalar_min = 40                 # bounds: raw_min, raw_max, scalar_min, scalar_max

    [rules.HeadPoseYaw]
    raw_min = -20
    raw_max = 20

Images with no face or that failed to load are always rejected with that reason.
Shipped profiles: see :func:`list_profiles`.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from fiqa.measures import canonical_measure, list_descriptors

PROFILE_KEYS = ("name", "description", "missing", "rules")
BOUND_KEYS = {"raw_min": ("", ">="), "raw_max": ("", "<="),
              "scalar_min": (".scalar", ">="), "scalar_max": (".scalar", "<=")}


@dataclass(frozen=True)
class Bound:
    """``column`` must satisfy ``op`` (``>=`` or ``<=``) ``threshold``."""

    measure: str
    column: str
    op: str
    threshold: float

    def check(self, value: float) -> str | None:
        """None when ``value`` satisfies the bound, else the reason."""
        ok = value >= self.threshold if self.op == ">=" else value <= self.threshold
        if ok:
            return None
        failed = "<" if self.op == ">=" else ">"
        return f"{self.column}={round(value, 3):g} {failed} {self.threshold:g}"


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    bounds: tuple[Bound, ...]
    missing: str = "reject"

    @property
    def measures(self) -> list[str]:
        return list(dict.fromkeys(bound.measure for bound in self.bounds))


def list_profiles() -> list[str]:
    """Names of the profiles shipped with fiqa."""
    folder = resources.files("fiqa") / "profiles"
    return sorted(Path(str(entry)).stem for entry in folder.iterdir() if entry.name.endswith(".toml"))


def load_profile(spec: str) -> Profile:
    """A shipped profile by name (``"strict-enrolment"``) or a ``.toml`` file path.

    Examples
    --------
    >>> profile = load_profile("strict-enrolment")
    >>> "UnifiedQualityScore" in profile.measures
    True
    """
    if spec.endswith(".toml"):
        path = Path(spec)
        if not path.is_file():
            raise ValueError(f"profile file not found: {path}")
        text = path.read_text()
    else:
        if spec not in list_profiles():
            raise ValueError(f"unknown profile {spec!r}; shipped profiles: {', '.join(list_profiles())}"
                             " (or give a .toml file)")
        text = (resources.files("fiqa") / "profiles" / f"{spec}.toml").read_text()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"profile {spec!r} is not valid TOML: {exc}") from None
    return profile_from_dict(data, default_name=Path(spec).stem)


def profile_from_dict(data: Mapping, *, default_name: str = "custom") -> Profile:
    """Build a :class:`Profile` from parsed TOML, checking every key and value.

    Examples
    --------
    >>> profile_from_dict({"rules": {"HeadPoseYaw": {"raw_min": 20, "raw_max": -20}}})
    Traceback (most recent call last):
    ...
    ValueError: profile rule HeadPoseYaw: raw_min = 20 is above raw_max = -20, so nothing can pass
    """
    _check_keys(data, PROFILE_KEYS, "profile")
    missing = data.get("missing", "reject")
    if missing not in ("reject", "ignore"):
        raise ValueError(f"profile key 'missing' must be 'reject' or 'ignore', got {missing!r}")
    rules = data.get("rules")
    if not rules or not isinstance(rules, Mapping):
        raise ValueError("profile has no [rules.<Measure>] tables")
    bounds = []
    for measure, limits in rules.items():
        name = canonical_measure(measure)
        if name in list_descriptors():
            raise ValueError(f"{name} describes the image for fairness analysis (--groups ita), "
                             "it is not a quality measure: a profile cannot gate on it")
        if not isinstance(limits, Mapping):
            raise ValueError(f"profile rule {name} must be a table of bounds, e.g. "  # noqa: TRY004
                             f"[rules.{name}] with raw_min = ...")
        _check_keys(limits, BOUND_KEYS, f"profile rule {name}")
        values = {key: _bound_value(name, key, value) for key, value in limits.items()}
        for kind in ("raw", "scalar"):
            low, high = values.get(f"{kind}_min"), values.get(f"{kind}_max")
            if low is not None and high is not None and low > high:
                raise ValueError(f"profile rule {name}: {kind}_min = {low:g} is above "
                                 f"{kind}_max = {high:g}, so nothing can pass")
        for key, threshold in values.items():
            suffix, op = BOUND_KEYS[key]
            bounds.append(Bound(measure=name, column=name + suffix, op=op, threshold=threshold))
    return Profile(name=data.get("name", default_name), description=data.get("description", ""),
                   bounds=tuple(bounds), missing=missing)


def _check_keys(table: Mapping, allowed, where: str) -> None:
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, list(allowed), n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"use {', '.join(allowed)}"
            raise ValueError(f"{where}: unknown key {key!r}; {hint}")


def _bound_value(measure: str, key: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"profile rule {measure}: {key} must be a number, got {value!r}")
    return float(value)


def decide(row: Mapping, profile: Profile) -> tuple[str, str]:
    """``("accept" | "reject", reasons)`` for one scored row (reasons joined by ``"; "``).

    Examples
    --------
    >>> profile = profile_from_dict({"rules": {"Sharpness": {"scalar_min": 40}}})
    >>> decide({"status": "ok", "Sharpness": 0.1, "Sharpness.scalar": 12.0}, profile)
    ('reject', 'Sharpness.scalar=12 < 40')
    """
    status = row.get("status", "ok")
    if status != "ok":
        return "reject", str(row.get("error") or status)
    reasons = []
    for bound in profile.bounds:
        value = row.get(bound.column)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            if profile.missing == "reject":
                reasons.append(f"{bound.column} could not be computed")
            continue
        reason = bound.check(float(value))
        if reason:
            reasons.append(reason)
    reasons = list(dict.fromkeys(reasons))
    return ("reject" if reasons else "accept"), "; ".join(reasons)


def gate_table(scores: pd.DataFrame, profile: Profile) -> pd.DataFrame:
    """``scores`` with ``decision`` and ``reasons`` columns added."""
    decisions = [decide(row, profile) for row in scores.to_dict("records")]
    return scores.assign(decision=[d for d, _ in decisions], reasons=[r for _, r in decisions])


def gate_to_file(inputs, out, *, profile: Profile, measures=None, format: str | None = None,
                 **scoring) -> pd.DataFrame:
    """Score ``inputs`` (resumable, see :func:`fiqa.runner.score_to_file`) and gate them.

    Only the profile's measures are computed unless ``measures`` is given. ``out`` gets
    the score columns plus ``decision`` and ``reasons`` in ``format`` (``"ofiq"``: OFIQ's
    layout followed by ``Decision`` and ``Reasons``).
    """
    from fiqa.runner import score_to_file

    return score_to_file(inputs, out, measures=measures or profile.measures, format=format,
                         kind="gate", parameters={"profile": profile.name},
                         transform=lambda table: gate_table(table, profile), **scoring)
