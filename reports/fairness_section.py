"""The report's "fairness" section: differential outcomes per group, from tidy tables.

Drawn from :class:`fiqa.evaluation.fairness_run.FairnessTables` (per-group rows with
bootstrap intervals, worst/best ratio rows, quality distributions); nothing is computed here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from reports.html import Section, figure_block, table_block
from reports.plots import new_figure

#: Rate metrics drawn per group, with their axis titles.
RATE_TITLES = {"reject_rate": "gate reject rate", "fnmr": "FNMR at the fixed threshold",
               "fmr": "FMR at the fixed threshold"}

#: Ratio table columns shown, with their headings.
RATIO_COLUMNS = {"metric": "metric", "detail": "rule / measure", "attribute": "attribute",
                 "worst": "worst group", "best": "best group", "worst_value": "worst",
                 "best_value": "best", "ratio": "worst / best", "ci_low": "CI low",
                 "ci_high": "CI high", "too_small": "too few subjects", "left_out": "no group"}


def _bars(ax, rows: pd.DataFrame, title: str) -> None:
    """One bar per group with its bootstrap interval."""
    x = np.arange(len(rows))
    value = rows["value"].to_numpy(np.float64)
    low = np.clip(value - rows["ci_low"].to_numpy(np.float64), 0, None)
    high = np.clip(rows["ci_high"].to_numpy(np.float64) - value, 0, None)
    ax.bar(x, value, color="#4c72b0", yerr=np.nan_to_num(np.vstack([low, high])), capsize=3)
    ax.set_xticks(x, [f"{g}\n({n} subj.)" for g, n in zip(rows["group"], rows["subjects"])],
                  fontsize=7, rotation=30, ha="right")
    for label in ax.get_xticklabels():
        label.set_parse_math(False)
    ax.set_title(title, fontsize=9, parse_math=False)
    ax.tick_params(axis="y", labelsize=7)
    ax.grid(axis="y", alpha=0.3)


def rates_figure(groups: pd.DataFrame, attribute: str) -> Figure | None:
    """Overall reject rate, FNMR and FMR per group of one attribute (whichever are present)."""
    rows = groups[(groups["attribute"] == attribute) & groups["metric"].isin(RATE_TITLES)
                  & groups["detail"].fillna("").eq("")]
    metrics = [m for m in RATE_TITLES if m in set(rows["metric"])]
    if not metrics:
        return None
    figure = new_figure(3.2 * len(metrics), 2.8)
    axes = figure.subplots(1, len(metrics), squeeze=False)[0]
    for ax, metric in zip(axes, metrics):
        _bars(ax, rows[rows["metric"] == metric], RATE_TITLES[metric])
    return figure


def rules_figure(groups: pd.DataFrame, attribute: str) -> Figure | None:
    """Reject rate per failed rule (x) and group (colours), with intervals."""
    rows = groups[(groups["attribute"] == attribute) & (groups["metric"] == "reject_rate")
                  & groups["detail"].fillna("").ne("")]
    if rows.empty:
        return None
    rules = list(pd.unique(rows["detail"]))
    names = list(pd.unique(rows["group"]))
    figure = new_figure(max(4.0, 0.9 * len(rules) * max(1, len(names) / 3)), 3.0)
    ax = figure.subplots()
    width = 0.8 / len(names)
    for index, name in enumerate(names):
        part = rows[rows["group"] == name].set_index("detail").reindex(rules)
        value = part["value"].to_numpy(np.float64)
        error = np.nan_to_num(np.vstack([np.clip(value - part["ci_low"], 0, None),
                                         np.clip(part["ci_high"] - value, 0, None)]))
        ax.bar(np.arange(len(rules)) + (index - (len(names) - 1) / 2) * width, value, width,
               yerr=error, capsize=2, label=str(name))
    ax.set_xticks(np.arange(len(rules)), rules, fontsize=7, rotation=30, ha="right")
    ax.set_ylabel("share of images rejected by the rule", fontsize=8)
    ax.set_title(f"Rejections per rule and {attribute}", fontsize=9, parse_math=False)
    legend = ax.legend(fontsize=7, title=attribute, title_fontsize=7)
    for text in legend.get_texts():
        text.set_parse_math(False)
    ax.grid(axis="y", alpha=0.3)
    return figure


def ratios_figure(ratios: pd.DataFrame) -> Figure | None:
    """Worst/best ratios of the rates with their intervals, on a log axis (1 = no difference)."""
    rows = ratios[ratios["metric"].isin(RATE_TITLES) & np.isfinite(ratios["ratio"])
                  & (ratios["ratio"] > 0)].reset_index(drop=True)
    if rows.empty:
        return None
    labels = [f"{r.metric}{':' + r.detail if r.detail else ''} ({r.attribute}: {r.worst}/{r.best})"
              for r in rows.itertuples()]
    figure = new_figure(6.5, 0.3 * len(rows) + 1.0)
    ax = figure.subplots()
    y = np.arange(len(rows))[::-1]
    ratio = rows["ratio"].to_numpy(np.float64)
    high = np.where(np.isfinite(rows["ci_high"]), rows["ci_high"], ratio * 10)
    ax.errorbar(ratio, y, xerr=np.vstack([np.clip(ratio - rows["ci_low"], 0, None),
                                          np.clip(high - ratio, 0, None)]),
                fmt="o", color="#c44e52", capsize=3, markersize=4)
    ax.axvline(1.0, color="grey", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    ax.set_yticks(y, labels, fontsize=7)
    for label in ax.get_yticklabels():
        label.set_parse_math(False)
    ax.set_xlabel("worst / best (log scale; 1 = no difference)", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    return figure


def fairness_section(data) -> Section | None:
    """Per-group outcomes with bootstrap intervals; None when the report has no groups."""
    result = getattr(data, "fairness", None)
    if result is None:
        return None
    section = Section("fairness", "Fairness: outcomes per group")
    section.notes += result.notes
    settings = result.settings
    section.notes.append(
        f"Intervals: {settings['confidence']:.0%} bootstrap over subjects (people), "
        f"{settings['replicates']} replicates, seed {settings['seed']}. The ratio compares the "
        "worst group with the best (both chosen on all the data); an interval that contains 1 "
        f"does not show a difference. Groups with fewer than {settings['min_subjects']} "
        "subjects are shown but not compared.")
    for attribute in pd.unique(result.groups["attribute"]) if not result.groups.empty else []:
        for make, alt in ((rates_figure, "rates per group"), (rules_figure, "rejects per rule")):
            figure = make(result.groups, attribute)
            if figure is not None:
                section.blocks.append(figure_block(figure, alt=f"{alt} of {attribute}",
                                                   title=f"{attribute}: {alt}"))
    figure = ratios_figure(result.ratios)
    if figure is not None:
        section.blocks.append(figure_block(figure, alt="worst to best ratios",
                                           title="Worst / best group ratios"))
    if not result.ratios.empty:
        shown = result.ratios[[c for c in RATIO_COLUMNS if c in result.ratios]]
        section.blocks.append(table_block(shown.rename(columns=RATIO_COLUMNS), caption=(
            "Worst / best group per metric (quality_mean: lowest / highest mean scalar; "
            "edc_pauc: per-group EDC pAUC at the shared threshold)")))
        rates = result.groups[result.groups["metric"].isin(RATE_TITLES)]
        section.blocks.append(table_block(rates, caption="Rates per group with intervals"))
    return section
