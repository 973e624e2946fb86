"""Report sections of a robustness sweep (``fiqa stress``): curves, tables and examples.

Everything is drawn from the tidy results table of :class:`attacks.stress.StressResult`
(columns ``model``, ``perturbation``, ``severity``, ``parameters``, ``metric``,
``measure``, ``value``; the clean baseline is perturbation ``"none"`` at severity 0), so a
report can also be rebuilt from a run folder's ``results.csv`` and ``run.json``. When a
sweep judged several recognizers, their FNMR stands side by side first; the detailed
sections follow for each recognizer.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from reports.html import Section, figure_block, render_html, table_block
from reports.plots import Thumbnail, new_figure, thumbnail_grid_figure

#: Per-condition metrics shown in the summary table, with their column titles.
SUMMARY_METRICS = {
    "fnmr": "FNMR", "fmr": "FMR", "detection_failure_rate": "no face",
    "similarity_drop": "mated sim. drop", "gate_reject_rate": "gate rejects",
    "gate_catch_rate": "gate catches failures",
    "gate_reject_rate_matched": "gate rejects successes",
}

#: The gate's trade-off per condition: failures it stops against successes it costs.
GATE_TRADE_OFF = {"gate_catch_rate": "failures rejected",
                  "gate_reject_rate_matched": "successful comparisons rejected"}

#: Reference curves of the EDC (not quality measures).
_REFERENCES = ("random", "perfect")


def _values(results: pd.DataFrame, metric: str, measure: str = "") -> pd.DataFrame:
    """perturbation, severity, value of one metric; the clean row is repeated per perturbation
    at severity 0 so every curve starts from the baseline."""
    rows = results[(results["metric"] == metric) & (results["measure"].fillna("") == measure)]
    clean = rows[rows["perturbation"] == "none"]
    perturbed = rows[rows["perturbation"] != "none"]
    starts = [clean.assign(perturbation=name) for name in pd.unique(perturbed["perturbation"])]
    return pd.concat([*starts, perturbed], ignore_index=True)[["perturbation", "severity", "value"]]


def _severity_axes(ax, title: str, ylabel: str) -> None:
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title, fontsize=9, parse_math=False)
    ax.set_xlabel("severity (0 = clean)", fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8, parse_math=False)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)


def _lines(ax, table: pd.DataFrame) -> None:
    for name, rows in table.groupby("perturbation", sort=False):
        rows = rows.sort_values("severity")
        ax.plot(rows["severity"], rows["value"], marker="o", markersize=3, label=str(name))


def metric_curves_figure(results: pd.DataFrame, metrics: dict[str, str]) -> Figure:
    """One panel per metric (e.g. FNMR), one line per perturbation, against severity.

    Examples
    --------
    >>> r = pd.DataFrame({"perturbation": ["none", "jpeg"], "severity": [0, 5],
    ...                   "metric": ["fnmr", "fnmr"], "measure": ["", ""], "value": [.1, .3]})
    >>> len(metric_curves_figure(r, {"fnmr": "FNMR"}).axes)
    1
    """
    present = [m for m in metrics if (results["metric"] == m).any()]
    if not present:
        raise ValueError(f"results hold none of the metrics {list(metrics)}")
    figure = new_figure(3.6 * len(present) + 1.6, 3.2)
    axes = figure.subplots(1, len(present), squeeze=False)[0]
    for ax, metric in zip(axes, present):
        _lines(ax, _values(results, metric))
        _severity_axes(ax, metrics[metric], metrics[metric])
    for text in axes[-1].legend(fontsize=7, frameon=False, loc="upper left",
                                bbox_to_anchor=(1.01, 1.0)).get_texts():
        text.set_parse_math(False)
    return figure


def measure_response_figure(results: pd.DataFrame, *, metric: str = "quality_mean",
                            columns: int = 4) -> Figure:
    """One panel per quality measure: its mean 0..100 scalar against severity, per perturbation.

    Examples
    --------
    >>> r = pd.DataFrame({"perturbation": ["none", "jpeg"], "severity": [0, 5],
    ...                   "metric": ["quality_mean"] * 2, "measure": ["Sharpness"] * 2,
    ...                   "value": [80., 40.]})
    >>> len([ax for ax in measure_response_figure(r).axes if ax.get_visible()])
    1
    """
    measures = list(pd.unique(results.loc[results["metric"] == metric, "measure"]))
    if not measures:
        raise ValueError(f"results hold no {metric!r} rows")
    columns = min(columns, len(measures))
    rows = -(-len(measures) // columns)
    figure = new_figure(3.0 * columns + 1.6, 2.5 * rows + 0.3)
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for ax, measure in zip(axes, measures):
        _lines(ax, _values(results, metric, measure))
        _severity_axes(ax, measure, "mean scalar")
    for ax in axes[len(measures):]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    legend = figure.legend(handles, labels, fontsize=7, frameon=False, loc="outside right upper")
    for text in legend.get_texts():
        text.set_parse_math(False)
    return figure


def summary_table(results: pd.DataFrame) -> pd.DataFrame:
    """One row per condition: its parameters and :data:`SUMMARY_METRICS` as columns.

    Examples
    --------
    >>> r = pd.DataFrame({"perturbation": ["none"], "severity": [0], "parameters": [""],
    ...                   "metric": ["fnmr"], "measure": [""], "value": [0.1]})
    >>> summary_table(r).columns.tolist()
    ['perturbation', 'severity', 'parameters', 'FNMR']
    """
    rows = results[results["metric"].isin(list(SUMMARY_METRICS))
                   & results["measure"].fillna("").eq("")]
    table = _wide(rows, ["perturbation", "severity", "parameters"], "metric")
    ordered = [m for m in SUMMARY_METRICS if m in table]
    table = table[["perturbation", "severity", "parameters", *ordered]]
    return table.rename(columns=SUMMARY_METRICS)


def gate_trade_off_table(results: pd.DataFrame) -> pd.DataFrame:
    """Per perturbation and severity, the share of failing mated pairs the gate rejects
    beside the share of still-matching mated pairs it rejects (:data:`GATE_TRADE_OFF`).

    Examples
    --------
    >>> r = pd.DataFrame({"perturbation": ["jpeg"] * 2, "severity": [5, 5],
    ...                   "parameters": ["q=4"] * 2, "measure": ["", ""],
    ...                   "metric": ["gate_catch_rate", "gate_reject_rate_matched"],
    ...                   "value": [0.9, 0.2]})
    >>> gate_trade_off_table(r).values.tolist()
    [['jpeg', 5, 0.9, 0.2]]
    """
    rows = results[results["metric"].isin(list(GATE_TRADE_OFF))
                   & results["measure"].fillna("").eq("")]
    table = _wide(rows, ["perturbation", "severity"], "metric")
    ordered = [m for m in GATE_TRADE_OFF if m in table]
    return table[["perturbation", "severity", *ordered]].rename(columns=GATE_TRADE_OFF)


def pauc_table(results: pd.DataFrame, *, metric: str = "edc_pauc_relative") -> pd.DataFrame:
    """Measures (rows, references last) x conditions (columns ``perturbation@severity``).

    Examples
    --------
    >>> r = pd.DataFrame({"perturbation": ["jpeg"], "severity": [5], "metric": ["edc_pauc"],
    ...                   "measure": ["Sharpness"], "value": [0.02]})
    >>> pauc_table(r, metric="edc_pauc").columns.tolist()
    ['measure', 'jpeg@5']
    """
    rows = results[results["metric"] == metric]
    rows = rows.assign(condition=rows["perturbation"] + "@" + rows["severity"].astype(str))
    wide = _wide(rows, ["measure"], "condition").set_index("measure")
    order = [m for m in wide.index if m not in _REFERENCES] + [m for m in _REFERENCES
                                                               if m in wide.index]
    wide = wide.loc[order].reset_index()
    wide.columns.name = None
    return wide


def pauc_heatmap_figure(results: pd.DataFrame, *, metric: str = "edc_pauc_relative",
                        vmax: float = 1.5) -> Figure:
    """Heat map of :func:`pauc_table`: measures (rows) x conditions (columns); missing
    values (no failure to discard) in grey.

    Examples
    --------
    >>> r = pd.DataFrame({"perturbation": ["jpeg"], "severity": [5], "metric": ["edc_pauc"],
    ...                   "measure": ["Sharpness"], "value": [0.02]})
    >>> len(pauc_heatmap_figure(r, metric="edc_pauc").axes)
    2
    """
    table = pauc_table(results, metric=metric)
    if table.empty:
        raise ValueError(f"results hold no {metric!r} rows")
    values = table.drop(columns="measure").to_numpy(np.float64)
    conditions = list(table.columns[1:])
    figure = new_figure(min(2.5 + 0.28 * len(conditions), 16), 1.2 + 0.22 * len(table))
    ax = figure.add_subplot(1, 1, 1)
    colours = matplotlib.colormaps["RdYlGn_r"].with_extremes(bad="0.85")
    image = ax.imshow(np.ma.masked_invalid(values), cmap=colours, vmin=0.0, vmax=vmax,
                      aspect="auto", interpolation="nearest")
    ax.set_yticks(range(len(table)), [str(m) for m in table["measure"]], fontsize=7)
    ax.set_xticks(range(len(conditions)), conditions, fontsize=7, rotation=90)
    for label in ax.get_xticklabels() + ax.get_yticklabels():
        label.set_parse_math(False)
    figure.colorbar(image, ax=ax, shrink=0.8).set_label(metric.replace("_", " "), fontsize=8)
    return figure


def _wide(rows: pd.DataFrame, index: list[str], columns: str) -> pd.DataFrame:
    """``rows`` pivoted to one row per ``index`` key and one column per ``columns`` value,
    both in order of first appearance (each key and column holds one value)."""
    keys = rows[index].drop_duplicates()
    names = list(pd.unique(rows[columns]))
    wide = rows.pivot(index=index, columns=columns, values="value")
    wide = wide.reindex(pd.MultiIndex.from_frame(keys) if len(index) > 1 else keys[index[0]])
    wide = wide[names].reset_index()
    wide.columns.name = None
    return wide


def examples_figure(examples: dict[tuple[str, int], np.ndarray]) -> Figure:
    """Thumbnails of one perturbed image: a row per perturbation, clean then each severity.

    Examples
    --------
    >>> grey = np.full((8, 8, 3), 128, np.uint8)
    >>> len(examples_figure({("none", 0): grey, ("jpeg", 1): grey}).axes)
    2
    """
    clean = examples.get(("none", 0))
    grid: dict[str, list[Thumbnail]] = {}
    for (name, severity), image in sorted(examples.items(), key=lambda item: item[0][1]):
        if name == "none":
            continue
        row = grid.setdefault(name, [Thumbnail(clean, "clean")] if clean is not None else [])
        row.append(Thumbnail(image, f"severity {severity}"))
    if not grid:
        raise ValueError("no perturbed example images")
    return thumbnail_grid_figure(grid, size_in=1.25)


def models_fnmr_table(results: pd.DataFrame) -> pd.DataFrame:
    """FNMR per perturbation (rows) and recognizer x severity (columns).

    Examples
    --------
    >>> r = pd.DataFrame({"model": ["a", "b"], "perturbation": ["jpeg"] * 2, "severity": [5, 5],
    ...                   "parameters": [""] * 2, "metric": ["fnmr"] * 2, "measure": [""] * 2,
    ...                   "value": [0.1, 0.3]})
    >>> models_fnmr_table(r).columns.tolist()
    ['perturbation', 'a @5', 'b @5']
    """
    rows = results[results["metric"].eq("fnmr")].assign(
        column=lambda t: t["model"].astype(str) + " @" + t["severity"].astype(str))
    table = rows.pivot_table(index="perturbation", columns="column", values="value",
                             sort=False).reset_index()
    table.columns.name = None
    return table


def stress_sections(results: pd.DataFrame, parameters: dict, *,
                    examples: dict[tuple[str, int], np.ndarray] | None = None,
                    discard=None) -> list[Section]:
    """Every recognizer's sections (:func:`model_sections`), after a side-by-side FNMR table
    when the sweep judged several, and the pooled discard experiment (``discard``: anything
    with ``edc``, ``curves`` and ``fnmr`` tables) last."""
    models = list(pd.unique(results["model"])) if "model" in results else [None]
    sections = []
    if len(models) > 1:
        side = Section("stress-models", "Recognizers side by side")
        side.notes.append("FNMR at each recognizer's own clean threshold (FMR "
                          f"{parameters.get('target_fmr')}), per perturbation and severity.")
        side.blocks.append(table_block(models_fnmr_table(results), caption="FNMR", digits=3))
        sections.append(side)
    for model in models:
        own = results if model is None else results[results["model"] == model]
        settings = {**parameters, **parameters.get("models", {}).get(model, {})}
        if "note" in settings:
            settings["threshold_note"] = settings["note"]
        sections += model_sections(own, settings, examples=examples,
                                   label="" if model is None else f" ({model})")
        examples = None  # the same images for every recognizer: shown once
    if discard is not None and len(discard.fnmr):
        from reports.discard_section import discard_sections

        sections += discard_sections(discard.edc, discard.curves, discard.fnmr)
    return sections


def model_sections(results: pd.DataFrame, parameters: dict, *,
                   examples: dict[tuple[str, int], np.ndarray] | None = None,
                   label: str = "") -> list[Section]:
    """The sections of one recognizer: summary, recognition curves, quality response,
    gate (EDC pAUC per condition) and example images."""
    threshold = parameters.get("threshold")
    apply, target = parameters.get("apply", "probe"), parameters.get("target", "image")
    summary = Section(f"stress-summary{label.strip(' ()')}",
                      f"Stress test: recognition under perturbation{label}")
    summary.notes.append(
        f"Threshold fixed once on the clean comparisons at FMR {parameters.get('target_fmr')}"
        f" (cosine {threshold:.4f}); perturbed: {'the probe (second) image of each pair' if apply == 'probe' else 'both images'}"
        f", applied to {'the whole image before face detection' if target == 'image' else 'the aligned face crop'}."
        " FNMR counts a perturbed image without a detected face as a non-match.")
    if parameters.get("threshold_note"):
        summary.notes.append(str(parameters["threshold_note"]))
    summary.blocks.append(table_block(summary_table(results), caption="Per perturbation and severity",
                                      digits=3))
    summary.blocks.append(figure_block(
        metric_curves_figure(results, {"fnmr": "FNMR", "detection_failure_rate": "no face found",
                                       "similarity_drop": "mated similarity drop"}),
        alt="FNMR, detection failures and similarity drop against severity"))
    sections = [summary]
    if (results["metric"] == "quality_mean").any():
        response = Section("stress-quality", f"Quality measure response{label}")
        response.notes.append("Mean 0..100 quality scalar of the perturbed images against "
                              "severity. A measure that tracks a perturbation falls with it.")
        response.blocks.append(figure_block(measure_response_figure(results),
                                            alt="quality measures against severity"))
        sections.append(response)
    if (results["metric"] == "edc_pauc_relative").any():
        gate = Section("stress-gate", f"Does the gate catch it?{label}")
        gate.notes.append(
            "Relative EDC pAUC of each measure on the perturbed comparisons, at the clean "
            "threshold (0 = discards the failing comparisons first, as the perfect reference; "
            "1 = no better than discarding at random). Lower is better.")
        if (results["metric"] == "gate_catch_rate").any():
            gate.notes.append(
                f"Gate profile {parameters.get('profile')!r} as a trade-off: of the mated "
                "pairs that fail, the share whose perturbed image the profile rejects "
                "(failures rejected), beside the share of mated pairs that still match but "
                "that it rejects all the same (successful comparisons rejected). A gate "
                "worth having rejects many of the first and few of the second; one that "
                "rejects everything scores 100 % on both.")
            gate.blocks.append(table_block(gate_trade_off_table(results), digits=3,
                                           caption="Gate trade-off per perturbation and "
                                                   "severity"))
            gate.blocks.append(figure_block(
                metric_curves_figure(results, {**GATE_TRADE_OFF,
                                               "gate_reject_rate": "images rejected"}),
                alt="failures and successful comparisons rejected against severity"))
        gate.blocks.append(figure_block(pauc_heatmap_figure(results),
                                        alt="relative pAUC per measure and condition",
                                        caption="Relative pAUC per measure (rows) and "
                                                "perturbation@severity (columns); grey: no "
                                                "failure to discard. Values in results.csv."))
        sections.append(gate)
    if examples and any(name != "none" for name, _ in examples):
        pictures = Section("stress-examples", "Example images per severity")
        pictures.blocks.append(figure_block(examples_figure(examples), dpi=90,
                                            alt="one image at every severity"))
        sections.append(pictures)
    return sections


def write_stress_report(result, out: str | os.PathLike, *, run_folder: str = "",
                        title: str = "fiqa stress test") -> Path:
    """Render a :class:`attacks.stress.StressResult` (or anything with ``results``,
    ``parameters`` and ``examples``) to a self-contained HTML file."""
    sections = stress_sections(result.results, result.parameters,
                               examples=getattr(result, "examples", None),
                               discard=getattr(result, "discard", None))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(sections, title=title, run_folder=run_folder), encoding="utf-8")
    return out


def report_from_folder(folder: str | os.PathLike, out: str | os.PathLike | None = None) -> Path:
    """Rebuild ``report.html`` of a stress run folder from ``results.csv`` and ``run.json``
    (without example images, which are not saved)."""
    from types import SimpleNamespace

    folder = Path(folder)
    results = pd.read_csv(folder / "results.csv", keep_default_na=False,
                          na_values={"value": ["", "NaN", "nan"]})
    parameters = json.loads((folder / "run.json").read_text()).get("parameters", {})
    discard = None
    if (folder / "discard_fnmr.csv").is_file():
        discard = SimpleNamespace(**{name: pd.read_csv(folder / f"discard_{name}.csv")
                                     for name in ("edc", "curves", "fnmr")})
    return write_stress_report(SimpleNamespace(results=results, parameters=parameters,
                                               discard=discard),
                               out or folder / "report.html", run_folder=str(folder))
