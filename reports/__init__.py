"""Evaluation reports: tidy tables, matplotlib charts and one self-contained HTML page.

The entry point is :func:`write_report` (``fiqa report RUN_DIR -o report.html``)::

    from reports import write_report
    write_report("runs/lfw", "runs/lfw/report.html")

Modules: :mod:`reports.run` reads a run folder, :mod:`reports.tables` reshapes it into
long tables, :mod:`reports.plots` draws Figures, :mod:`reports.sections` builds one
section per kind of result, :mod:`reports.html` renders them (Jinja2, autoescaped).
"""

from reports.report import write_report
from reports.run import load_run

__all__ = ["load_run", "write_report"]
