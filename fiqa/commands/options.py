"""Options that mean the same in every subcommand, declared once.

``--workers``, ``--engine``, ``--address``, ``--batch-size``, ``--no-progress`` (where the
work runs), ``--measures``, ``--face``, ``--model`` and ``--format``; :class:`HelpFormatter`
shows every default in ``--help`` and keeps the description's line breaks.
"""

from __future__ import annotations

import argparse

from fiqa.engines import ENGINES, EngineOptions
from fiqa.face import FACE_CHOICES


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Defaults shown (where there is one), description and epilog printed as written, less
    the docstrings' reST literal markup."""

    def _fill_text(self, text, width, indent):
        return super()._fill_text(text.replace("``", ""), width, indent)

    def _get_help_string(self, action):
        if action.default in (None, False) or action.default is argparse.SUPPRESS:
            return action.help
        return super()._get_help_string(action)


def positive_int(text: str) -> int:
    """argparse type: a whole number >= 1.

    Examples
    --------
    >>> positive_int("3")
    3
    >>> positive_int("0")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be a whole number of at least 1, got 0
    """
    from fiqa.options import positive_int as check

    try:
        return check(text, option="")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).strip()) from None


def fraction(text: str) -> float:
    """argparse type: a number strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be a number between 0 and 1, got {text!r}")
    return value


def add_engine_arguments(parser, *, batch_size: int = 16) -> None:
    """Where the pipeline runs: ``--workers``, ``--engine``, ``--address``, ``--batch-size``,
    ``--no-progress``."""
    group = parser.add_argument_group("where the work runs")
    group.add_argument("--workers", type=positive_int, default=1,
                       help="worker processes (local) or actors (ray); 1 = this process")
    group.add_argument("--engine", choices=ENGINES, default="local",
                       help="local processes, or a Ray cluster")
    group.add_argument("--address", help="Ray cluster address (with --engine ray; default: "
                       "start a local Ray instance)")
    group.add_argument("--batch-size", type=positive_int, default=batch_size,
                       help="images per batch handed to a worker")
    group.add_argument("--no-progress", action="store_true", help="never show a progress bar")


def engine_options(args) -> EngineOptions:
    return EngineOptions(engine=args.engine, workers=args.workers, address=args.address,
                         batch_size=args.batch_size,
                         progress=False if args.no_progress else None)


def add_measures_argument(parser, *, what: str = "all") -> None:
    parser.add_argument("--measures", default=None,
                        help=f"comma-separated quality families or measures (default: {what})")


def measures_option(args) -> list[str] | None:
    """The ``--measures`` list, or None for the command's default."""
    if not args.measures:
        return None
    return [name.strip() for name in args.measures.split(",") if name.strip()]


def add_face_argument(parser) -> None:
    parser.add_argument("--face", choices=FACE_CHOICES, default="largest",
                        help="the subject when several faces are found: the largest, or the "
                             "one nearest the image centre (LFW, CFP crops)")


def add_model_argument(parser, *, several: bool = False) -> None:
    extra = "; a comma list judges each" if several else ""
    parser.add_argument("--model", default="sface",
                        help=f"recognizer: sface, dlib or an ONNX file{extra}")


def models_option(args) -> tuple[str, ...]:
    return tuple(name.strip() for name in args.model.split(",") if name.strip())


def add_format_argument(parser) -> None:
    parser.add_argument("--format", choices=("csv", "parquet", "ofiq"), default=None,
                        help="output layout (default: from the -o file ending)")
