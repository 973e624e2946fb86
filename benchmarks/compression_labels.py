"""SSIM labels against PSNR labels: two CompressionArtifacts models side by side.

Both models were trained by ``fiqa train compression`` on the same crops, split and budget,
differing only in ``--label``. Each card's metrics table is the held-out evaluation that
``fiqa eval compression --model DIR/model.onnx`` prints (same test identities; detection
classes clean SSIM >= 0.99 vs visibly compressed SSIM < 0.95 for both, each model at its
own validation equal-error threshold); ``--evaluate`` recomputes it. The CNN rows are
printed side by side per codec and inter-eye band. With ``--card`` the comparison is stored
in that card under ``metrics.label_variants.<RECIPE>`` (one comparison per data recipe).

    python benchmarks/compression_labels.py --ssim DIR_A --psnr DIR_B [--card CARD --recipe NAME]
        [--evaluate]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import pandas as pd

COLUMNS = ["spearman_ssim", "spearman_psnr", "eer", "error"]


def variant_table(folder: Path, *, cache_dir: str, evaluate: bool) -> tuple[pd.DataFrame, dict]:
    from fiqa.data import data_dir
    from fiqa.training.compression_eval import evaluate_model_file

    card = json.loads((folder / "card.json").read_text())
    table = (evaluate_model_file(folder / "model.onnx", data_dir=data_dir(), cache_dir=cache_dir)[0]
             if evaluate else pd.DataFrame(card["metrics"]["table"]))
    return table[table["scorer"] == "cnn"].reset_index(drop=True), card


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ssim", required=True, help="folder of the SSIM-labelled model")
    parser.add_argument("--psnr", required=True, help="folder of the PSNR-labelled model")
    parser.add_argument("--cache-dir", default=str(Path(tempfile.gettempdir()) / "fiqa_cache"))
    parser.add_argument("--card", help="card.json to store the comparison in")
    parser.add_argument("--recipe", default="default",
                        help="name of the data recipe both were trained on (the key in the card)")
    parser.add_argument("--evaluate", action="store_true",
                        help="re-evaluate both models instead of reading their cards")
    args = parser.parse_args(argv)
    variants = {}
    for label in ("ssim", "psnr"):
        table, card = variant_table(Path(getattr(args, label)), cache_dir=args.cache_dir,
                                    evaluate=args.evaluate)
        variants[label] = {
            "training_command": card["training_command"], "sha256": card["sha256"],
            "training_seconds": card["training_seconds"],
            "table": json.loads(table[["codec", "band", "n", *COLUMNS]].to_json(orient="records")),
        }
    side = pd.DataFrame(variants["ssim"]["table"]).merge(
        pd.DataFrame(variants["psnr"]["table"]), on=["codec", "band", "n"],
        suffixes=("_ssimlabel", "_psnrlabel"))
    for column in side.columns:
        if column.startswith(("eer", "error")):
            side[column] = (100 * side[column]).round(2)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(side.round(4).to_string(index=False))
    if args.card:
        path = Path(args.card)
        card = json.loads(path.read_text())
        stored = card["metrics"].get("label_variants", {})
        if "ssim" in stored:  # an older card: one comparison, not keyed by recipe
            stored = {}
        stored[args.recipe] = {
            "command": f"python benchmarks/compression_labels.py --ssim DIR --psnr DIR "
                       f"--recipe {args.recipe}", **variants}
        card["metrics"]["label_variants"] = stored
        path.write_text(json.dumps(card, indent=1) + "\n")
        print(f"stored in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
