"""Self-contained HTML: sections of tables and figures rendered through one Jinja2 template.

Figures are embedded as base64 PNG (JPEG for photographs) data URIs, the style sheet is
inline, there is no script and no external asset, so the file works offline and can be
mailed. Autoescaping is on: every string that reaches the page (file names, measure names,
error messages, metadata) is data, never markup.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from numbers import Number

import jinja2
import pandas as pd
from matplotlib.figure import Figure

from fiqa import __version__
from reports.plots import figure_png


@dataclass(frozen=True)
class Cell:
    """One table cell: its text and whether it is right-aligned as a number."""

    text: str
    numeric: bool = False


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    css: str = ""


@dataclass(frozen=True)
class TableBlock:
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    caption: str = ""
    css: str = ""
    kind: str = "table"


@dataclass(frozen=True)
class FigureBlock:
    data_base64: str
    mime: str
    width: int
    height: int
    alt: str
    title: str = ""
    caption: str = ""
    kind: str = "figure"


@dataclass
class Section:
    """A titled part of the report: explanatory notes, then tables and figures in order."""

    id: str
    title: str
    notes: list[str] = field(default_factory=list)
    blocks: list[TableBlock | FigureBlock] = field(default_factory=list)


def format_value(value, *, digits: int = 4) -> str:
    """Text of a table cell: numbers to ``digits`` significant digits, missing as a dash.

    Examples
    --------
    >>> format_value(0.0123456), format_value(float("nan")), format_value(12), format_value("a")
    ('0.01235', '-', '12', 'a')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, Number):
        if float(value).is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{float(value):.{digits}g}"
    return str(value)


def table_block(table: pd.DataFrame, *, caption: str = "", css: str = "",
                row_css: pd.Series | None = None, digits: int = 4) -> TableBlock:
    """A table block from a DataFrame (all columns, in order; index dropped).

    Parameters
    ----------
    row_css : Series of str, optional
        A CSS class per row (aligned with ``table``), e.g. ``"reference"``.

    Examples
    --------
    >>> block = table_block(pd.DataFrame({"measure": ["A"], "pauc": [0.01234]}))
    >>> [cell.text for cell in block.rows[0].cells]
    ['A', '0.01234']
    """
    classes = [""] * len(table) if row_css is None else [str(c) for c in row_css]
    rows = []
    for values, row_class in zip(table.itertuples(index=False, name=None), classes):
        cells = tuple(Cell(format_value(v, digits=digits),
                           numeric=isinstance(v, Number) and not isinstance(v, bool))
                      for v in values)
        rows.append(Row(cells, row_class))
    return TableBlock(tuple(str(c) for c in table.columns), tuple(rows), caption, css)


def figure_block(figure: Figure, *, alt: str, title: str = "", caption: str = "",
                 dpi: int = 100, jpeg_quality: int | None = None) -> FigureBlock:
    """A figure block holding the Figure as an embedded PNG (JPEG with ``jpeg_quality``).

    Examples
    --------
    >>> from reports.plots import new_figure
    >>> figure_block(new_figure(2, 1), alt="empty").width
    200
    """
    data = figure_png(figure, dpi=dpi, jpeg_quality=jpeg_quality)
    mime = "image/png" if jpeg_quality is None else "image/jpeg"
    width, height = (round(v * dpi) for v in figure.get_size_inches())
    return FigureBlock(base64.b64encode(data).decode("ascii"), mime, width, height, alt, title,
                       caption)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
    )


def render_html(sections: list[Section], *, title: str, run_folder: str,
                generated: str | None = None) -> str:
    """The report page for ``sections`` (in order), as one HTML string.

    Examples
    --------
    >>> page = render_html([Section("a", "<b>A</b>", notes=["x < y"])], title="T", run_folder="r")
    >>> "&lt;b&gt;A&lt;/b&gt;" in page and "x &lt; y" in page
    True
    """
    generated = generated or datetime.now(UTC).isoformat(timespec="seconds")
    template = _environment().get_template("report.html")
    return template.render(sections=sections, title=title, run_folder=run_folder,
                           generated=generated, version=__version__)
