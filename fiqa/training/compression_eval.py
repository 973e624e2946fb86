"""Evaluate compression-artefact scores on held-out identities, per codec and face resolution.

Detection classes, on the SSIM of a crop against its clean original:

* **clean**: SSIM >= ``CLEAN_SSIM`` (0.99) - untouched copies and settings whose change is
  imperceptible;
* **visibly compressed**: SSIM < ``VISIBLE_SSIM`` (0.95);
* in between ("perceptible but not annoying") is left out of the error rates.

The bounds follow the common mapping of SSIM to the ITU five-grade impairment scale
(Zinner et al., 2010: >= 0.99 imperceptible, 0.95-0.99 perceptible but not annoying,
below 0.95 slightly annoying or worse). On this data the median SSIM crosses 0.95 at
JPEG quality about 35 (4:2:0 and 4:4:4 alike) and at JPEG 2000 ratios 20-40 (see
:func:`label_calibration`).

Every score is oriented "higher = cleaner" (the CNN's predicted SSIM; the classical cues
negated where needed), and a sample is called clean when ``score >= threshold``.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import pandas as pd

CLEAN_SSIM = 0.99
VISIBLE_SSIM = 0.95
#: Inter-eye distance bands (px) the results are broken down by; "all" pools them.
BANDS_PX = ((30.0, 60.0), (60.0, 100.0), (100.0, 150.0), (150.0, 250.0), (250.0, 320.0))
COMPRESSED_CODECS = ("jpeg", "jpeg2000")


def detection_classes(ssim) -> tuple[np.ndarray, np.ndarray]:
    """``(used, clean)`` masks: samples in either class, and which of them are clean.

    Examples
    --------
    >>> used, clean = detection_classes([1.0, 0.97, 0.9])
    >>> used.tolist(), clean[used].tolist()
    ([True, False, True], [True, False])
    """
    ssim = np.asarray(ssim, np.float64)
    clean = ssim >= CLEAN_SSIM
    return clean | (ssim < VISIBLE_SSIM), clean


def detection_errors(scores, ssim, *, threshold: float) -> dict:
    """EER between clean and visibly compressed samples, and the errors at ``threshold``.

    Returns
    -------
    dict
        ``eer``; ``clean_rejected`` (clean samples scored below ``threshold``),
        ``compressed_accepted`` (visibly compressed scored at or above it) and their mean
        ``error``; ``n_clean``, ``n_compressed``. Rates are NaN when a class is empty.

    Examples
    --------
    >>> errors = detection_errors([0.99, 0.98, 0.5, 0.97], [1.0, 1.0, 0.8, 0.9], threshold=0.975)
    >>> errors["eer"], errors["compressed_accepted"]
    (0.0, 0.0)
    """
    from fiqa.evaluation.metrics import equal_error_rate

    scores = np.asarray(scores, np.float64)
    used, clean = detection_classes(ssim)
    clean_scores, compressed_scores = scores[used & clean], scores[used & ~clean]
    result = {"n_clean": len(clean_scores), "n_compressed": len(compressed_scores)}
    if not len(clean_scores) or not len(compressed_scores):
        return {
            **result,
            "eer": np.nan,
            "clean_rejected": np.nan,
            "compressed_accepted": np.nan,
            "error": np.nan,
        }
    rejected = float(np.mean(clean_scores < threshold))
    accepted = float(np.mean(compressed_scores >= threshold))
    return {
        **result,
        "eer": equal_error_rate(scores[used], clean[used])[0],
        "clean_rejected": rejected,
        "compressed_accepted": accepted,
        "error": (rejected + accepted) / 2,
    }


def baseline_scores(crops: np.ndarray) -> dict[str, np.ndarray]:
    """The classical cues on each crop, oriented higher = cleaner."""
    from fiqa.measures.blockiness import blockiness, fine_detail_ratio

    return {
        "blockiness": -np.array([blockiness(crop) for crop in crops]),
        "fine_detail": np.array([fine_detail_ratio(crop) for crop in crops]),
    }


def eer_threshold(scores, ssim) -> float:
    """The threshold at the equal-error point between clean and visibly compressed."""
    from fiqa.evaluation.metrics import equal_error_rate

    used, clean = detection_classes(ssim)
    return equal_error_rate(np.asarray(scores, np.float64)[used], clean[used])[1]


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import spearmanr

    return float(spearmanr(a, b)[0]) if len(a) > 2 else np.nan


def evaluation_table(
    data: dict[str, np.ndarray], scores: dict[str, np.ndarray], *, thresholds: dict[str, float]
) -> pd.DataFrame:
    """Metrics per scorer, codec and inter-eye band (plus ``all``).

    ``spearman_ssim`` / ``spearman_psnr`` use that codec's compressed samples; detection
    uses them together with the untouched copies of the same band.

    Examples
    --------
    >>> data = {"codec": np.array(["none", "jpeg", "jpeg", "jpeg"]),
    ...         "ssim": np.array([1.0, 0.9, 0.8, 0.995]), "psnr": np.array([100.0, 30, 25, 45]),
    ...         "inter_eye_px": np.array([40.0, 40, 40, 40])}
    >>> table = evaluation_table(data, {"s": data["ssim"]}, thresholds={"s": 0.97})
    >>> table.query("codec == 'jpeg' and band == 'all'")[["eer", "spearman_ssim"]].values.tolist()
    [[0.0, 1.0]]
    """
    rows = []
    bands = [("all", np.ones(len(data["ssim"]), bool))] + [
        (f"{low:g}-{high:g}", (data["inter_eye_px"] >= low) & (data["inter_eye_px"] < high))
        for low, high in BANDS_PX
    ]
    for name, values in scores.items():
        for codec in COMPRESSED_CODECS:
            for band, in_band in bands:
                compressed = in_band & (data["codec"] == codec)
                pool = compressed | (in_band & (data["codec"] == "none"))
                rows.append(
                    {
                        "scorer": name,
                        "codec": codec,
                        "band": band,
                        "n": int(compressed.sum()),
                        "spearman_ssim": _spearman(values[compressed], data["ssim"][compressed]),
                        "spearman_psnr": _spearman(values[compressed], data["psnr"][compressed]),
                        "threshold": thresholds[name],
                        **detection_errors(
                            values[pool], data["ssim"][pool], threshold=thresholds[name]
                        ),
                    }
                )
    return pd.DataFrame(rows)


def onnx_predictor(model_path, *, batch_size: int = 64):
    """``predict(crops) -> predicted SSIM`` through onnxruntime for an exported model file."""
    from fiqa.measures.base import run_model
    from fiqa.models import onnx_session

    session = onnx_session(model_path)
    return lambda crops: run_model(session, crops, batch_size=batch_size)


def ms_per_face(predict, crops: np.ndarray, *, repeats: int = 3) -> float:
    """Best-of-``repeats`` wall time of ``predict(crops)`` per crop, in milliseconds."""
    predict(crops[:8])
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        predict(crops)
        best = min(best, time.perf_counter() - start)
    return 1000.0 * best / len(crops)


def evaluate_compression(
    test: dict[str, np.ndarray], val: dict[str, np.ndarray], *, model_path, model_threshold: float
) -> pd.DataFrame:
    """The CNN (at ``model_threshold``) and the classical cues (at their equal-error
    thresholds on ``val``) on the ``test`` samples, see :func:`evaluation_table`."""
    predict = onnx_predictor(model_path)
    thresholds = {
        name: eer_threshold(values, val["ssim"])
        for name, values in baseline_scores(val["crops"]).items()
    }
    thresholds["cnn"] = float(model_threshold)
    scores = {"cnn": predict(test["crops"]), **baseline_scores(test["crops"])}
    return evaluation_table(test, scores, thresholds=thresholds)


def format_table(table: pd.DataFrame) -> str:
    """A compact text rendering (rates in %, correlations to 3 decimals)."""
    shown = table.copy()
    for column in ("eer", "clean_rejected", "compressed_accepted", "error"):
        shown[column] = (100 * shown[column]).round(2)
    for column in ("spearman_ssim", "spearman_psnr", "threshold"):
        shown[column] = shown[column].round(3)
    columns = [
        "scorer",
        "codec",
        "band",
        "n",
        "spearman_ssim",
        "spearman_psnr",
        "eer",
        "clean_rejected",
        "compressed_accepted",
        "error",
        "n_clean",
        "n_compressed",
    ]
    return shown[columns].to_string(index=False)


def evaluate_model_file(
    model_path=None,
    *,
    data_dir,
    cache_dir,
    workers: int = 1,
    batch_size: int = 64,
    data_card=None,
) -> tuple[pd.DataFrame, dict]:
    """:func:`evaluate_compression` for a model file (default: the shipped one), with the
    data settings and threshold of the ``card.json`` beside it, and its speed.

    The operating point is the card's ``detection.threshold``; without one (no card, or
    an older card) it is the validation equal-error point, and without a card the default
    data settings are used; ``data_card`` (a card.json path) takes the data settings from
    another card. Returns the table and ``{"ms_per_face", "batch_size", "faces"}``
    (onnxruntime on the test crops).
    """
    import json
    from pathlib import Path

    from fiqa.training.compression_data import DataOptions, compression_dataset, subset

    if model_path is None:
        from fiqa.models import shipped_model

        model_path = shipped_model("compression").path
    model_path = Path(model_path)
    if not model_path.is_file():
        raise FileNotFoundError(f"no model file at {model_path}")
    card_path = model_path.with_name("card.json")
    card = json.loads(card_path.read_text()) if card_path.is_file() else {}
    data_from = json.loads(Path(data_card).read_text()) if data_card else card
    options = DataOptions(**data_from["data"]["options"]) if "data" in data_from else DataOptions()
    data = compression_dataset(data_dir, cache_dir=cache_dir, options=options, workers=workers)
    val, test = (subset(data, data["split"] == name) for name in ("val", "test"))
    predict = onnx_predictor(model_path, batch_size=batch_size)
    threshold = (
        card["detection"]["threshold"]
        if "detection" in card
        else eer_threshold(predict(val["crops"]), val["ssim"])
    )
    table = evaluate_compression(test, val, model_path=model_path, model_threshold=threshold)
    speed = {
        "ms_per_face": ms_per_face(predict, test["crops"]),
        "batch_size": batch_size,
        "faces": len(test["crops"]),
    }
    return table, speed


#: Setting bins for :func:`label_calibration`: JPEG quality and JPEG 2000 ratio edges.
CALIBRATION_BINS = {
    "jpeg": (5, 20, 35, 50, 65, 80, 90, 101),
    "jpeg2000": (4, 10, 20, 40, 80, 160, 301),
}


def label_calibration(data: dict[str, np.ndarray]) -> pd.DataFrame:
    """Median SSIM and PSNR per codec, chroma subsampling and setting bin (what a label means).

    Examples
    --------
    >>> data = {"codec": np.array(["jpeg", "jpeg"]), "level": np.array([10.0, 95.0]),
    ...         "chroma_subsampling": np.array([True, True]), "ssim": np.array([0.8, 0.99]),
    ...         "psnr": np.array([28.0, 45.0])}
    >>> label_calibration(data)["median_ssim"].tolist()
    [0.8, 0.99]
    """
    rows = []
    for codec, edges in CALIBRATION_BINS.items():
        for subsampling in sorted(set(data["chroma_subsampling"][data["codec"] == codec])):
            for low, high in itertools.pairwise(edges):
                mask = (
                    (data["codec"] == codec)
                    & (data["chroma_subsampling"] == subsampling)
                    & (data["level"] >= low)
                    & (data["level"] < high)
                )
                if mask.any():
                    rows.append(
                        {
                            "codec": codec,
                            "chroma_subsampling": bool(subsampling),
                            "setting": f"{low}-{high - 1 if codec == 'jpeg' else high}",
                            "n": int(mask.sum()),
                            "median_ssim": round(float(np.median(data["ssim"][mask])), 3),
                            "median_psnr": round(float(np.median(data["psnr"][mask])), 1),
                        }
                    )
    return pd.DataFrame(rows)
