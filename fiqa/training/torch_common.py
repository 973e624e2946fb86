"""Pieces every fiqa-trained network shares: crops to tensors, the training loop, export,
the model card.

Torch runs on the CPU only. A training run is deterministic for a given seed and number
of threads.
"""

from __future__ import annotations

import io
import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np


def to_tensor(crops: np.ndarray):
    """uint8 NHWC -> float NCHW in channels-last memory (about 1.7x faster on CPU)."""
    import torch

    return (
        torch.from_numpy(np.ascontiguousarray(crops))
        .permute(0, 3, 1, 2)
        .float()
        .contiguous(memory_format=torch.channels_last)
    )


def predict(function: Callable, crops: np.ndarray, *, batch_size: int = 256) -> np.ndarray:
    """``function(tensor)`` over (N, S, S, 3) uint8 crops in batches, as float64 numpy."""
    import torch

    with torch.no_grad():
        out = [function(to_tensor(crops[i : i + batch_size])).numpy()
               for i in range(0, len(crops), batch_size)]
    return np.concatenate(out).astype(np.float64) if out else np.zeros(0)


def fit(model, crops: np.ndarray, targets: np.ndarray, *, epochs: int, batch_size: int,
        learning_rate: float, weight_decay: float, seed: int, loss_fn,
        augment: Callable | None = None, validate: Callable | None = None, log=print) -> list:
    """Train ``model`` (already built, in channels-last memory) on crops -> targets.

    AdamW with a one-cycle schedule (15 % warm-up); each epoch visits the samples in a
    fresh order drawn from ``numpy.random.default_rng(seed)``; ``augment(batch, rng)``
    may transform each batch; ``validate(model)`` returns extra figures for the epoch's
    record. Returns one record per epoch (``epoch``, ``loss``, ``seconds``, ...).
    """
    import torch

    rng = np.random.default_rng(seed)
    targets = torch.from_numpy(np.asarray(targets, np.float32))
    steps = len(targets) // batch_size
    optimiser = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=learning_rate, total_steps=steps * epochs, pct_start=0.15)
    history = []
    for epoch in range(1, epochs + 1):
        start, total = time.perf_counter(), 0.0
        model.train()
        order = rng.permutation(len(targets))
        for step in range(steps):
            index = np.sort(order[step * batch_size : (step + 1) * batch_size])
            batch = to_tensor(crops[index])
            if augment is not None:
                batch = augment(batch, rng)
            loss = loss_fn(model(batch), targets[index])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += float(loss.detach())
        record = {"epoch": epoch, "loss": total / steps, "seconds": time.perf_counter() - start}
        if validate is not None:
            model.eval()
            record.update(validate(model))
        history.append(record)
        log(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in record.items()))
    model.eval()
    return history


def export_onnx(module, path: str | os.PathLike, *, crop_size: int, input_name: str,
                output_name: str) -> Path:
    """Write ``module`` (crops -> (N,) values) as ONNX opset 17 with a dynamic batch axis:
    input (N, 3, size, size) float RGB 0..255."""
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module.eval(),
            torch.zeros(2, 3, crop_size, crop_size),
            buffer,
            input_names=[input_name],
            output_names=[output_name],
            opset_version=17,
            dynamic_axes={input_name: {0: "batch"}, output_name: {0: "batch"}},
            dynamo=False,
        )
    path.write_bytes(buffer.getvalue())
    return path


def save_card(out_dir: str | os.PathLike, card: dict, text: dict, *,
              measured: tuple[str, ...] = ("metrics",)) -> dict:
    """Write ``out_dir/card.json``: ``card`` (which holds the new weights' ``sha256``), then
    for each key of ``text`` the existing card's own text (``text``'s value for a new card),
    then the existing card's ``measured`` sections (figures written by a benchmark, such as
    ``metrics``) if they were measured on the same weights. Returns what was written.

    Examples
    --------
    >>> import json, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> _ = Path(folder, "card.json").write_text(json.dumps(
    ...     {"sha256": "a", "licence": "own words", "metrics": {"auc": 0.9}}))
    >>> save_card(folder, {"sha256": "a"}, {"licence": "default"})
    {'sha256': 'a', 'licence': 'own words', 'metrics': {'auc': 0.9}}
    >>> save_card(folder, {"sha256": "b"}, {"licence": "default"})  # new weights: no metrics
    {'sha256': 'b', 'licence': 'own words'}
    """
    import json

    path = Path(out_dir) / "card.json"
    previous = json.loads(path.read_text()) if path.is_file() else {}
    card = dict(card)
    for key, default in text.items():
        card[key] = previous.get(key, default)
    if previous.get("sha256") == card["sha256"]:
        card.update({key: previous[key] for key in measured if key in previous})
    path.write_text(json.dumps(card, indent=1) + "\n")
    return card
