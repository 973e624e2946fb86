"""Report section of the pooled discard experiment (:func:`fiqa.evaluation.discard.pooled_discard`).

Pure: the three tidy tables in (``edc``, ``curves``, ``fnmr``; a run folder holds them as
``discard_edc.csv``, ``discard_curves.csv``, ``discard_fnmr.csv``), figures and HTML
sections out. Nothing here computes a metric.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from reports.html import Section, figure_block, table_block
from reports.plots import edc_figure

#: Discard fractions shown as columns of the FNMR table, with their titles.
_FRACTION_TITLE = "FNMR after discarding {:.0%}"


def discard_fnmr_table(fnmr: pd.DataFrame) -> pd.DataFrame:
    """Wide FNMR table: one row per family, recognizer and measure; FNMR before and after
    each discard fraction (the fraction actually reached in brackets when ties cut short).

    Examples
    --------
    >>> fnmr = pd.DataFrame({"family": ["jpeg"] * 2, "model": ["sface"] * 2,
    ...     "measure": ["CompressionArtifacts"] * 2, "fraction": [0.0, 0.1],
    ...     "discarded": [0.0, 0.08], "fnmr": [0.2, 0.05], "fmr": [0.0, 0.0],
    ...     "remaining_mated": [100, 92]})
    >>> discard_fnmr_table(fnmr).iloc[0].tolist()
    ['jpeg', 'sface', 'CompressionArtifacts', '0.200', '0.050 (8%)']
    """
    missing = {"family", "model", "measure", "fraction", "discarded", "fnmr"} - set(fnmr)
    if missing:
        raise ValueError(f"discard table lacks column(s) {sorted(missing)}")
    cells = fnmr.assign(text=[
        f"{row.fnmr:.3f}" + ("" if abs(row.discarded - row.fraction) < 0.01
                             else f" ({row.discarded:.0%})")
        for row in fnmr.itertuples()])
    wide = cells.pivot_table(index=["family", "model", "measure"], columns="fraction",
                             values="text", aggfunc="first", sort=False)
    wide.columns = ["FNMR before" if f == 0 else _FRACTION_TITLE.format(f) for f in wide.columns]
    return wide.reset_index()


def pooled_edc_figure(curves: pd.DataFrame, *, family: str, recognizer: str,
                      discard_limit: float = 0.2) -> Figure:
    """EDC of every measure on one family's pooled comparisons for one recognizer.

    Examples
    --------
    >>> curves = pd.DataFrame({"family": "jpeg", "model": "sface",
    ...     "measure": ["A", "A", "random", "random"], "discard_fraction": [0, .5, 0, .5],
    ...     "fnmr": [.1, .02, .1, .1]})
    >>> len(pooled_edc_figure(curves, family="jpeg", recognizer="sface").axes)
    2
    """
    rows = curves[(curves["family"] == family) & (curves["model"] == recognizer)]
    if rows.empty:
        raise ValueError(f"no pooled curve for family {family!r} and recognizer {recognizer!r}")
    figure = edc_figure(rows, discard_limit=discard_limit)
    figure.suptitle(f"{family}, all severities and clean pooled - {recognizer}", fontsize=10)
    return figure


def _pauc_table(edc: pd.DataFrame) -> pd.DataFrame:
    table = edc.pivot_table(index="measure", columns=["family", "model"],
                            values="pauc_relative", sort=False)
    table.columns = [f"{family} / {recognizer}" for family, recognizer in table.columns]
    return table.reset_index()


def discard_sections(edc: pd.DataFrame, curves: pd.DataFrame, fnmr: pd.DataFrame, *,
                     figures: bool = True) -> list[Section]:
    """The section of the discard experiment: FNMR table, relative pAUC table and (with
    ``figures``) one pooled EDC chart per family and recognizer."""
    section = Section("discard", "Discarding by quality: pooled over severities")
    section.notes.append(
        "For each perturbation family, the clean comparisons and those of all its severities "
        "form one comparison set; mated comparisons are discarded in ascending order of the "
        "pair quality (the lower scalar of the two images) at the threshold fixed on the "
        "clean comparisons. Random: mean of several draws. A bracketed percentage is the "
        "fraction actually discarded where tied qualities stop short of the one asked for.")
    section.blocks.append(table_block(discard_fnmr_table(fnmr), caption="FNMR before and after "
                                      "discarding the lowest-quality mated comparisons"))
    section.blocks.append(table_block(
        _pauc_table(edc), digits=3,
        caption="Relative EDC pAUC up to 20 % discarded (0 = perfect, 1 = random)"))
    if figures:
        for (family, recognizer), _ in curves.groupby(["family", "model"], sort=False):
            section.blocks.append(figure_block(
                pooled_edc_figure(curves, family=family, recognizer=recognizer),
                alt=f"pooled EDC for {family} with {recognizer}"))
    return [section]
