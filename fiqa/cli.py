"""The ``fiqa`` command line: parse arguments and call library functions (no logic here)."""

from __future__ import annotations

import argparse
import sys

from fiqa import __version__
from fiqa.commands import (
    attack,
    calibrate,
    demo,
    edc,
    evaluate,
    gate,
    report,
    score,
    stress,
    train,
    verify,
)
from fiqa.models import ModelError

COMMANDS = (demo, score, gate, calibrate, verify, edc, report, stress, attack, train, evaluate)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fiqa", description="Face image quality assessment and recognizer stress testing.")
    parser.add_argument("--version", action="version", version=f"fiqa {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command: errors become one line and exit 2; Ctrl-C or SIGTERM one line and
    130 or 143, after the workers are stopped (a results journal stays resumable)."""
    from fiqa.engines.lifecycle import interruptible
    from fiqa.results import journalled_rows

    args = build_parser().parse_args(argv)
    journalled = None
    if args.command in ("score", "gate"):
        journalled = lambda: journalled_rows(args.out)
    try:
        with interruptible(journalled):
            return int(args.run(args) or 0)
    except (ValueError, FileNotFoundError, ImportError, ModelError) as exc:
        print(f"fiqa {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
