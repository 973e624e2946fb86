"""Held-out evaluation of ``UnifiedQualityScore``: pAUC of the EDC on three protocols.

Protocols (identities never trained on, see :mod:`fiqa.training.utility_data`):
``LFW`` (View-2 pairs fold 10), ``CFP-FF`` and ``CFP-FP`` (CFP's fold 02, identities
051-100). Each is judged by each recognizer: the comparison score is the cosine similarity
of the two unit embeddings. Two thresholds are used, as ISO/IEC 29794-1 describes: the
5 % quantile of the mated scores (starting FNMR 0.05) and FMR 1e-3. The protocols have too
few non-mated pairs for an FMR of 1e-3 (LFW fold 10: 300), so that threshold is set on
every cross-identity comparison between the protocol's images (LFW: 2.7 M, CFP FF:
122 k, CFP FP: 98 k) - the FNMR is still that of the protocol's own mated pairs.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

PROTOCOLS = ("LFW", "CFP-FF", "CFP-FP")
THRESHOLDS = ("fnmr0.05", "fmr1e-3")


def evaluation_pairs(data_dir: str | os.PathLike, options) -> pd.DataFrame:
    """Pairs of the held-out protocols: ``protocol``, ``image_a``, ``image_b`` (absolute,
    resolved paths) and ``same``."""
    from fiqa.evaluation.pairs import read_lfw_pairs, read_pairs_csv

    root = Path(data_dir).resolve()
    lfw = read_lfw_pairs(root / "lfw_pairs.txt")
    lfw = lfw[lfw["fold"].isin(list(options.lfw_eval_folds))].assign(protocol="LFW")
    lfw[["image_a", "image_b"]] = lfw[["image_a", "image_b"]].map(lambda p: str(root / "lfw" / p))
    cfp = read_pairs_csv(root / "cfp_pairs.csv")
    low, high = options.cfp_eval_ids
    person = cfp["image_a"].str.split("/").str[0].astype(int)
    cfp = cfp[(person >= low) & (person <= high)].copy()
    cfp["protocol"] = "CFP-" + cfp["protocol"].astype(str)
    cfp[["image_a", "image_b"]] = cfp[["image_a", "image_b"]].map(lambda p: str(root / "cfp" / p))
    columns = ["protocol", "image_a", "image_b", "same"]
    return pd.concat([lfw[columns], cfp[columns]], ignore_index=True)


def protocol_images(data_dir: str | os.PathLike, options) -> set[str]:
    """Absolute paths of every image the held-out protocols compare."""
    pairs = evaluation_pairs(data_dir, options)
    return set(pairs["image_a"]) | set(pairs["image_b"])


def identity_of(path: str) -> str:
    """The person a LFW or CFP path belongs to (its identity folder)."""
    parts = Path(path).parts
    return parts[-3] if parts[-2] in ("frontal", "profile") else parts[-2]


def fmr_threshold_all(paths_a, paths_b, vectors: dict[str, np.ndarray], *, fmr: float) -> float:
    """Threshold giving ``fmr`` over all cross-identity comparisons between the images of
    side a and side b (each unordered pair once when the sides are the same set)."""
    from fiqa.evaluation.metrics import fmr_threshold

    side_a, side_b = sorted(set(paths_a)), sorted(set(paths_b))
    a = np.stack([vectors[p] for p in side_a])
    b = np.stack([vectors[p] for p in side_b])
    same_set = side_a == side_b
    ids_a = np.array([identity_of(p) for p in side_a])
    ids_b = np.array([identity_of(p) for p in side_b])
    scores = a @ b.T
    keep = ids_a[:, None] != ids_b[None, :]
    if same_set:
        keep &= np.triu(np.ones_like(keep), 1).astype(bool)
    return float(fmr_threshold(scores[keep].astype(np.float64), fmr))


def protocol_sides(pairs: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The images on each side of a protocol (LFW and CFP FF: all of them on both)."""
    if (pairs["image_b"].str.contains("/profile/")).any():
        return sorted(set(pairs["image_a"])), sorted(set(pairs["image_b"]))
    images = sorted(set(pairs["image_a"]) | set(pairs["image_b"]))
    return images, images


def protocol_comparisons(pairs: pd.DataFrame, vectors: dict[str, np.ndarray]) -> pd.DataFrame:
    """``pairs`` with ``score`` (cosine) and ``status`` (``ok`` when both have a face)."""
    dim = len(next(iter(vectors.values())))
    missing = np.full(dim, np.nan, np.float32)
    a = np.stack([vectors.get(p, missing) for p in pairs["image_a"]])
    b = np.stack([vectors.get(p, missing) for p in pairs["image_b"]])
    score = np.sum(a * b, axis=1)
    return pairs.assign(score=score, status=np.where(np.isfinite(score), "ok", "no_face"))


def pauc_rows(pairs: pd.DataFrame, vectors: dict[str, dict[str, np.ndarray]],
              quality: pd.DataFrame, *, measures: list[str], discard_limit: float = 0.2,
              seed: int = 0) -> pd.DataFrame:
    """pAUC of every measure, random and perfect, per protocol, recognizer and threshold.

    ``vectors`` maps recognizer -> image path -> unit embedding; ``quality`` has ``path``
    (the same absolute paths), ``status`` and a ``<Measure>.scalar`` column per measure.
    Adds ``gap_closed``: ``(random - pAUC) / (random - perfect)`` within each row group.
    A sample a measure could not score counts as its lowest quality (``edc_table``'s
    ``missing_quality="lowest"``), however many there are.
    """
    from fiqa.evaluation.edc_run import edc_table

    frames = []
    for protocol in PROTOCOLS:
        chosen = pairs[pairs["protocol"] == protocol]
        for recognizer, table in vectors.items():
            comparisons = protocol_comparisons(chosen, table)
            sides = protocol_sides(chosen)
            usable = [p for p in sides[0] if p in table], [p for p in sides[1] if p in table]
            thresholds = {"fnmr0.05": None,
                          "fmr1e-3": fmr_threshold_all(*usable, table, fmr=1e-3)}
            for rule, threshold in thresholds.items():
                _, summary = edc_table(comparisons, quality, measures=measures, root="/",
                                       starting_error=0.05, discard_limit=discard_limit,
                                       seed=seed, threshold=threshold, max_missing=1.0)
                frames.append(summary.assign(protocol=protocol, recognizer=recognizer,
                                             threshold_rule=rule))
    table = pd.concat(frames, ignore_index=True)
    keys = ["protocol", "recognizer", "threshold_rule"]
    reference = table.pivot_table(index=keys, columns="kind", values="pauc", aggfunc="first")
    joined = table.join(reference[["random", "perfect"]], on=keys)
    table["gap_closed"] = (joined["random"] - joined["pauc"]) / (joined["random"] - joined["perfect"])
    return table


def format_pauc_rows(table: pd.DataFrame, *, threshold_rule: str) -> str:
    """A Markdown table: one row per measure, one column per protocol and recognizer
    (pAUC, and the share of the random-to-perfect gap closed in brackets)."""
    chosen = table[table["threshold_rule"] == threshold_rule]
    columns = [(p, r) for p in PROTOCOLS for r in sorted(chosen["recognizer"].unique())]
    order = chosen.groupby("measure")["gap_closed"].mean().sort_values(ascending=False).index
    header = "| measure | " + " | ".join(f"{p} {r}" for p, r in columns) + " |"
    lines = [header, "|" + "---|" * (len(columns) + 1)]
    cells = chosen.set_index(["measure", "protocol", "recognizer"])
    for measure in order:
        row = []
        for protocol, recognizer in columns:
            entry = cells.loc[(measure, protocol, recognizer)]
            row.append(f"{entry['pauc']:.4f} ({100 * entry['gap_closed']:.0f}%)")
        lines.append(f"| {measure} | " + " | ".join(row) + " |")
    starting = chosen.groupby(["protocol", "recognizer"])["starting_fnmr"].first()
    lines.append("| starting FNMR | " + " | ".join(f"{starting.loc[c]:.4f}" for c in columns)
                 + " |")
    return "\n".join(lines)


def eval_arrays(root, cache, workers: int = 1):
    """The evaluation samples (built or read from ``cache``), with ``resolved`` paths."""
    from fiqa.training import utility_data

    options = utility_data.DataOptions()
    images = protocol_images(root, options)
    data = utility_data.utility_dataset(root, cache_dir=cache, options=options, workers=workers,
                                        eval_images=images, roles=("eval",))
    data["resolved"] = np.array([str(Path(p).resolve()) for p in data["path"]])
    return options, images, data


def quality_table(images, data, cache, models: dict[str, str]) -> pd.DataFrame:
    """``fiqa score`` of the evaluation images: the components (cached per compression
    model card and the component scorers' recorded parameters) joined with
    UnifiedQualityScore (cached per unified model card), the embedding length and any
    extra ``models``."""
    import hashlib
    import json

    from fiqa.engines import EngineOptions
    from fiqa.measures import create_scorer, list_scorers
    from fiqa.measures.unified import MEASURE
    from fiqa.models import read_card
    from fiqa.runner import score_to_file

    listing = Path(cache) / "eval_images.txt"
    listing.write_text("\n".join(sorted(images)) + "\n")
    components = [family for family in list_scorers() if family != "unified"]
    tables = []
    for families, model in ((components, "compression"), (["unified"], "unified")):
        card = json.dumps([{k: read_card(model).get(k) for k in ("sha256", "input",
                                                                "scalar_mapping")},
                           [create_scorer(family).metadata() for family in families]])
        key = hashlib.sha256(f"{families}{card}".encode()).hexdigest()
        out = Path(cache) / f"eval_{families[0]}-{key[:12]}.csv"
        part = score_to_file([str(listing)], out, measures=families,
                             options=EngineOptions(progress=False))
        part["path"] = [str(Path(p).resolve()) for p in part["path"]]
        tables.append(part.set_index("path"))
    table = tables[0].join(tables[1][[MEASURE, f"{MEASURE}.scalar"]]).reset_index()
    row = {path: i for i, path in enumerate(data["resolved"])}
    index = np.array([row.get(p, -1) for p in table["path"]])
    norm = np.append(data["norm_sface"], np.nan)[index]
    table["EmbeddingNorm.scalar"] = norm
    for name, path in models.items():
        table[f"{MEASURE}[{name}].scalar"] = _model_scores(path, data, index)
    return table


def _model_scores(path, data, index):
    """A UnifiedQualityScore ONNX model run on the samples' crops, per quality row;
    ``path`` may join several files with ``+`` (an ensemble: the mean of their outputs)."""
    from fiqa.measures.base import run_model
    from fiqa.models import onnx_session

    scores = np.mean([run_model(onnx_session(part), data["crops"]) for part in str(path).split("+")],
                     axis=0)
    scores[~data["ok"]] = np.nan
    return np.append(scores, np.nan)[index]


def vectors(data, recognizers) -> dict[str, dict[str, np.ndarray]]:
    """recognizer -> resolved image path -> unit embedding (images with a face)."""
    out = {}
    for name in recognizers:
        emb = data[f"emb_{name}"]
        keep = data["ok"] & np.isfinite(emb).all(axis=1)
        out[name] = {p: emb[i] for i, p in enumerate(data["resolved"]) if keep[i]}
    return out
