"""Judging recognizers and quality measures on verification protocols.

* :mod:`~fiqa.evaluation.pairs`: protocols as tables (LFW ``pairs.txt``, CSV, all pairs of
  identity folders);
* :mod:`~fiqa.evaluation.embeddings`: embed each image once through the pipeline (with an
  optional cache);
* :mod:`~fiqa.evaluation.verify`: one comparison score per pair;
* :mod:`~fiqa.evaluation.metrics`: ROC/DET points, EER, FNMR at FMR, k-fold accuracy;
* :mod:`~fiqa.evaluation.edc`: error-versus-discard curves (ISO/IEC 29794-1:2024) and pAUC;
* :mod:`~fiqa.evaluation.edc_run`: EDC of ``fiqa score`` measures from files.
"""

from fiqa.evaluation.edc import (
    EdcCurve,
    edc_curve,
    edc_threshold,
    erc_curve,
    pair_quality,
    partial_auc,
    perfect_quality,
    random_quality,
    summarise_curve,
    theoretical_best_area,
)
from fiqa.evaluation.edc_run import edc_table, edc_to_file
from fiqa.evaluation.embeddings import EmbeddingCache, EmbeddingTable, embed_files
from fiqa.evaluation.metrics import (
    calibrate_threshold,
    equal_error_rate,
    fnmr_at_fmr,
    kfold_accuracy,
    roc_points,
    verification_metrics,
)
from fiqa.evaluation.pairs import all_pairs, read_lfw_pairs, read_pairs, read_pairs_csv
from fiqa.evaluation.verify import compare_pairs, verify_to_file

__all__ = [
    "EdcCurve",
    "EmbeddingCache",
    "EmbeddingTable",
    "all_pairs",
    "calibrate_threshold",
    "compare_pairs",
    "edc_curve",
    "edc_table",
    "edc_threshold",
    "edc_to_file",
    "embed_files",
    "equal_error_rate",
    "erc_curve",
    "fnmr_at_fmr",
    "kfold_accuracy",
    "pair_quality",
    "partial_auc",
    "perfect_quality",
    "random_quality",
    "read_lfw_pairs",
    "read_pairs",
    "read_pairs_csv",
    "roc_points",
    "summarise_curve",
    "theoretical_best_area",
    "verification_metrics",
    "verify_to_file",
]
