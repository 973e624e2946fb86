"""Report charts: functions that take tidy tables and return matplotlib Figures.

Figures are built with the object API on the Agg canvas (no pyplot, no global state), so
they are safe to draw in tests, servers and threads. Text that comes from user data
(measure names, file names) is drawn literally: ``$`` never starts math mode.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from reports.tables import is_reference

#: Pair outcomes at the fixed decision threshold, in legend order, with their colours.
OUTCOME_COLOURS = {
    "match": "#1f77b4",
    "false non-match": "#d62728",
    "non-match": "#7f7f7f",
    "false match": "#ff7f0e",
}


#: EDC error axes are scaled to the points up to this discard fraction.
SCALE_DISCARD_MAX = 0.9


@dataclass(frozen=True)
class Thumbnail:
    """One image of a thumbnail grid: RGB ``uint8`` pixels (None if unreadable) and a caption."""

    image: np.ndarray | None
    caption: str


def new_figure(width_in: float, height_in: float, *, layout: str | None = "constrained"
               ) -> Figure:
    """A Figure attached to an Agg canvas, with constrained layout unless ``layout=None``."""
    figure = Figure(figsize=(width_in, height_in), layout=layout)
    FigureCanvasAgg(figure)
    return figure


def figure_png(figure: Figure, *, dpi: int = 100, jpeg_quality: int | None = None) -> bytes:
    """Encode a Figure as PNG bytes, or as JPEG when ``jpeg_quality`` (1..95) is given.

    JPEG suits figures that are mostly photographs (thumbnail grids): several times smaller.

    Examples
    --------
    >>> figure_png(new_figure(1, 1))[:4], figure_png(new_figure(1, 1), jpeg_quality=80)[:2]
    (b'\\x89PNG', b'\\xff\\xd8')
    """
    buffer = io.BytesIO()
    if jpeg_quality is None:
        figure.savefig(buffer, format="png", dpi=dpi)
    else:
        figure.savefig(buffer, format="jpeg", dpi=dpi, pil_kwargs={"quality": jpeg_quality})
    return buffer.getvalue()


def _literal_legend(ax, **kwargs) -> None:
    legend = ax.legend(**kwargs)
    for text in legend.get_texts():
        text.set_parse_math(False)


def edc_figure(edc: pd.DataFrame, *, discard_limit: float | None = None,
               error: str = "fnmr") -> Figure:
    """Error-versus-discard curves of several measures on one chart, with references.

    Parameters
    ----------
    edc : DataFrame
        Columns ``measure``, ``discard_fraction`` and ``error`` (one row per curve point);
        reference curves (see :func:`reports.tables.is_reference`) are drawn in grey and
        black: ``perfect`` dashed, ``random`` dotted. With a ``variant`` column holding
        several values, only ``"edc"`` rows are drawn.
    discard_limit : float, optional
        The pAUC integration limit: marked by a vertical line, and a second panel zooms
        onto ``[0, 1.5 * discard_limit]``. The error axis is scaled to the points up to
        :data:`SCALE_DISCARD_MAX` (near 1 few comparisons remain and the error jumps).
    error : str, optional
        The error column to plot (``"fnmr"`` or ``"fmr"``).

    Examples
    --------
    >>> edc = pd.DataFrame({"measure": ["A", "A", "perfect", "perfect"],
    ...                     "discard_fraction": [0, .5, 0, .5], "fnmr": [.1, .05, .1, 0]})
    >>> [len(ax.lines) for ax in edc_figure(edc, discard_limit=0.2).axes]
    [3, 3]
    """
    missing = {"measure", "discard_fraction", error} - set(edc.columns)
    if missing:
        raise ValueError(f"EDC table lacks column(s) {sorted(missing)}; expected measure, "
                         f"discard_fraction, {error}")
    if "variant" in edc and edc["variant"].nunique() > 1:
        edc = edc[edc["variant"].eq("edc")]
    figure = new_figure(10.5 if discard_limit is not None else 7.5, 4.4)
    panels = [(figure.add_subplot(1, 2 if discard_limit is not None else 1, 1), 1.0)]
    if discard_limit is not None:
        panels.append((figure.add_subplot(1, 2, 2), min(1.0, 1.5 * discard_limit)))
    for ax, right in panels:
        _draw_edc(ax, edc, error)
        if discard_limit is not None:
            ax.axvline(discard_limit, color="0.6", linewidth=0.8)
        ax.set_xlim(0.0, right)
        visible = edc.loc[edc["discard_fraction"] <= min(right, SCALE_DISCARD_MAX), error]
        ax.set_ylim(0.0, 1.05 * max(float(np.nanmax(visible, initial=0.0)), 1e-6))
        ax.set_xlabel("fraction of mated comparisons discarded")
        ax.set_ylabel(error.upper())
        ax.grid(alpha=0.3)
    if discard_limit is not None:
        panels[1][0].set_title(f"zoom: pAUC range up to {discard_limit:g}", fontsize=9)
    _literal_legend(panels[-1][0], loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
                    frameon=False)
    return figure


def _draw_edc(ax, edc: pd.DataFrame, error: str) -> None:
    reference = is_reference(edc)
    measures = list(pd.unique(edc.loc[~reference, "measure"]))
    for measure, colour in zip(measures, _colours(len(measures))):
        _edc_step(ax, edc[edc["measure"] == measure], error, label=str(measure), color=colour,
                  linewidth=1.6)
    for name in pd.unique(edc.loc[reference, "measure"]):
        style = _REFERENCE_STYLES.get(name, {"color": "grey", "linestyle": "-."})
        _edc_step(ax, edc[edc["measure"] == name], error, label=str(name), linewidth=1.4,
                  **style)


_REFERENCE_STYLES = {"perfect": {"color": "black", "linestyle": "--"},
                     "random": {"color": "grey", "linestyle": ":"}}


def _edc_step(ax, rows: pd.DataFrame, error: str, **style) -> None:
    rows = rows.sort_values("discard_fraction", kind="stable")
    ax.step(rows["discard_fraction"], rows[error], where="post", **style)


def _colours(count: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if count <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(count)]


def roc_det_figure(points: pd.DataFrame, *, operating_fmr: Sequence[float] = (1e-3,)) -> Figure:
    """ROC (TMR against FMR) and DET (FNMR against FMR) side by side, log axes.

    Parameters
    ----------
    points : DataFrame
        Columns ``fmr`` and ``fnmr``, one row per threshold; an optional ``curve`` column
        draws one line per value (e.g. per protocol).
    operating_fmr : sequence of float, optional
        FMR values marked with vertical lines.

    Examples
    --------
    >>> points = pd.DataFrame({"fmr": [1e-3, 1e-2, 1e-1], "fnmr": [0.2, 0.05, 0.01]})
    >>> [ax.get_xscale() for ax in roc_det_figure(points).axes]
    ['log', 'log']
    """
    missing = {"fmr", "fnmr"} - set(points.columns)
    if missing:
        raise ValueError(f"ROC table lacks column(s) {sorted(missing)}; expected fmr, fnmr")
    figure = new_figure(9.0, 3.8)
    roc, det = figure.subplots(1, 2)
    groups = points.groupby("curve", sort=False) if "curve" in points.columns \
        else [("comparisons", points)]
    # Log axes cannot show 0: clip to half a step below the smallest non-zero rate.
    rates = points[["fmr", "fnmr"]].to_numpy(float)
    floor = 0.5 * np.min(rates[rates > 0], initial=1.0)
    for name, rows in groups:
        fmr = np.clip(rows["fmr"].to_numpy(float), floor, 1.0)
        fnmr = rows["fnmr"].to_numpy(float)
        roc.plot(fmr, 1.0 - fnmr, label=str(name), linewidth=1.5)
        det.plot(fmr, np.clip(fnmr, floor, 1.0), label=str(name), linewidth=1.5)
    for ax in (roc, det):
        ax.set_xscale("log")
        ax.set_xlabel("FMR (false match rate)")
        ax.grid(alpha=0.3)
        for fmr in operating_fmr:
            ax.axvline(fmr, color="0.6", linewidth=0.8, linestyle="--")
    det.set_yscale("log")
    roc.set_ylabel("TMR = 1 - FNMR")
    det.set_ylabel("FNMR (false non-match rate)")
    roc.set_title("ROC", fontsize=10)
    det.set_title("DET", fontsize=10)
    if len(groups) > 1:
        _literal_legend(det, fontsize=8)
    return figure


def score_histogram_figure(comparisons: pd.DataFrame, *, threshold: float | None = None) -> Figure:
    """Comparison scores of mated and non-mated pairs, with the decision threshold.

    Parameters
    ----------
    comparisons : DataFrame
        Columns ``same`` (bool or 0/1) and ``score``; rows with a missing score are ignored.
    threshold : float, optional
        Drawn as a vertical line.

    Examples
    --------
    >>> table = pd.DataFrame({"same": [1, 0, 1, 0], "score": [0.8, 0.1, 0.6, 0.2]})
    >>> len(score_histogram_figure(table, threshold=0.4).axes)
    1
    """
    valid = comparisons.dropna(subset=["score"])
    same = valid["same"].astype(bool).to_numpy()
    scores = valid["score"].to_numpy(float)
    figure = new_figure(6.0, 3.4)
    ax = figure.add_subplot()
    bins = np.histogram_bin_edges(scores, bins=50) if len(scores) else 10
    for mask, label, colour in ((same, "mated", "#1f77b4"), (~same, "non-mated", "#7f7f7f")):
        if mask.any():
            ax.hist(scores[mask], bins=bins, density=True, alpha=0.55, color=colour,
                    label=f"{label} (n={int(mask.sum())})")
    if threshold is not None:
        ax.axvline(threshold, color="black", linewidth=1.0, label=f"threshold {threshold:.3f}")
    ax.set_xlabel("comparison score (higher = more alike)")
    ax.set_ylabel("density")
    _literal_legend(ax, fontsize=8)
    return figure


def outcome_histogram_figure(pairs: pd.DataFrame, *, columns: int = 3) -> Figure:
    """Pair-quality histograms split by decision outcome, one panel per measure.

    A useful measure puts false non-matches (and false matches) at low pair quality.

    Parameters
    ----------
    pairs : DataFrame
        Columns ``measure``, ``pair_quality`` and ``outcome`` (a key of
        :data:`OUTCOME_COLOURS`), one row per pair x measure.
    columns : int, optional
        Panels per row.

    Examples
    --------
    >>> pairs = pd.DataFrame({"measure": ["A"] * 4, "pair_quality": [10, 80, 90, 50],
    ...                       "outcome": ["false non-match", "match", "match", "non-match"]})
    >>> len(outcome_histogram_figure(pairs).axes)
    1
    """
    missing = {"measure", "pair_quality", "outcome"} - set(pairs.columns)
    if missing:
        raise ValueError(f"pair table lacks column(s) {sorted(missing)}")
    measures = list(pd.unique(pairs["measure"]))
    columns = max(1, min(columns, len(measures)))
    rows = max(1, -(-len(measures) // columns))
    figure = new_figure(3.3 * columns, 2.6 * rows)
    axes = np.atleast_1d(figure.subplots(rows, columns, squeeze=False)).ravel()
    for ax, measure in zip(axes, measures):
        data = pairs[pairs["measure"] == measure].dropna(subset=["pair_quality"])
        quality = data["pair_quality"].to_numpy(float)
        bins = np.histogram_bin_edges(quality, bins=25) if len(quality) else 10
        for outcome, colour in OUTCOME_COLOURS.items():
            values = quality[(data["outcome"] == outcome).to_numpy()]
            if len(values):
                ax.hist(values, bins=bins, density=True, histtype="step", linewidth=1.4,
                        color=colour, label=f"{outcome} ({len(values)})")
        ax.set_title(str(measure), fontsize=9, parse_math=False)
        ax.set_xlabel("pair quality", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_yticks([])
        if ax.get_legend_handles_labels()[0]:
            _literal_legend(ax, fontsize=6, frameon=False)
    for ax in axes[len(measures):]:
        ax.set_visible(False)
    return figure


def thumbnail_grid_figure(rows: dict[str, Sequence[Thumbnail]], *, title: str = "",
                          size_in: float = 1.35) -> Figure:
    """A grid of face thumbnails with captions, one labelled row per group.

    Parameters
    ----------
    rows : dict of str to sequence of Thumbnail
        Row label (e.g. ``"lowest"``) -> images shown left to right.
    title : str, optional
        Figure title (drawn literally).
    size_in : float, optional
        Width of one thumbnail, in inches.

    Examples
    --------
    >>> grey = np.full((8, 8, 3), 128, np.uint8)
    >>> fig = thumbnail_grid_figure({"lowest": [Thumbnail(grey, "a.jpg\\n12.0")],
    ...                              "highest": [Thumbnail(None, "b.jpg\\n97.0")]})
    >>> len(fig.axes)
    2
    """
    width = max((len(items) for items in rows.values()), default=0)
    if width == 0:
        raise ValueError("thumbnail grid needs at least one image")
    # Fixed margins in inches (constrained layout costs more than the drawing here): room
    # for the row labels on the left, two caption lines under each row, the title on top.
    caption_in, left_in, top_in = 0.5, 0.3, 0.1 + (0.3 if title else 0.0)
    width_in = left_in + size_in * width + 0.1
    height_in = top_in + (size_in + caption_in) * len(rows)
    figure = new_figure(width_in, height_in, layout=None)
    axes = figure.subplots(len(rows), width, squeeze=False, gridspec_kw={
        "left": left_in / width_in, "right": 1 - 0.1 / width_in, "top": 1 - top_in / height_in,
        "bottom": caption_in / height_in, "wspace": 0.06, "hspace": caption_in / size_in})
    for row_axes, (label, items) in zip(axes, rows.items()):
        row_axes[0].set_ylabel(label, fontsize=9, parse_math=False)
        for ax, item in zip(row_axes, items):
            if item.image is None:
                ax.text(0.5, 0.5, "unreadable", ha="center", va="center", fontsize=8,
                        transform=ax.transAxes)
            else:
                ax.imshow(item.image, interpolation="lanczos")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_xlabel(item.caption, fontsize=6.5, parse_math=False)
        for ax in row_axes[len(items):]:
            ax.set_axis_off()
    if title:
        figure.suptitle(title, fontsize=10, parse_math=False)
    return figure
