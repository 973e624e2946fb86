"""Classical, model-free compression cues: the baseline the ``CompressionArtifacts`` CNN
is measured against (used by :mod:`fiqa.training.compression_eval`; not a scored measure).

* :func:`blockiness` - JPEG's 8x8 block edges: luma steps across the strongest grid
  phase versus all phases. The grid phase is searched, so crops need not be grid-aligned.
* :func:`fine_detail_ratio` - JPEG 2000 (and heavy JPEG) removes the finest detail
  first: the energy of the finest band-pass layer over the next coarser one.
"""

from __future__ import annotations

import cv2
import numpy as np

from fiqa.io import check_rgb


def _luma(image: np.ndarray) -> np.ndarray:
    check_rgb(image)
    return image.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)


def _grid_ratio(steps: np.ndarray, block_px: int) -> float:
    """Mean step on the strongest grid phase over the mean step (1 = no grid)."""
    usable = len(steps) // block_px * block_px
    if usable < 2 * block_px:
        return 1.0
    per_phase = steps[:usable].reshape(-1, block_px).mean(axis=0)
    return float((per_phase.max() + 1e-3) / (per_phase.mean() + 1e-3))


def blockiness(image: np.ndarray, *, block_px: int = 8) -> float:
    """Block-grid strength: ``log`` of the strongest-phase to mean step ratio, rows and
    columns averaged; about 0 for uncompressed images, growing as JPEG quality falls.

    Parameters
    ----------
    image : ndarray of uint8, (H, W, 3)
        RGB image or crop, at least ``2 * block_px`` pixels on a side.
    block_px : int, optional
        The block size (8 for JPEG).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> smooth = np.repeat(np.linspace(0, 255, 64)[None, :, None], 64, 0).repeat(3, 2)
    >>> blocks = (np.arange(64) // 8 * 30 % 256)[None, :, None].repeat(64, 0).repeat(3, 2)
    >>> blockiness(smooth.astype(np.uint8)) < 0.1 < blockiness(blocks.astype(np.uint8))
    True
    """
    luma = _luma(image)
    across_columns = np.abs(np.diff(luma, axis=1)).mean(axis=0)
    across_rows = np.abs(np.diff(luma, axis=0)).mean(axis=1)
    ratios = [_grid_ratio(across_columns, block_px), _grid_ratio(across_rows, block_px)]
    return float(np.mean(np.log(ratios)))


def fine_detail_ratio(image: np.ndarray, *, sigma_px: float = 1.0) -> float:
    """Mean absolute finest band-pass (image minus Gaussian(``sigma_px``)) over the next
    band (Gaussian(``sigma_px``) minus Gaussian(2 ``sigma_px``)); lower = fewer fine details.

    Examples
    --------
    >>> noise = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    >>> blurred = cv2.GaussianBlur(noise, (0, 0), 2.0)
    >>> fine_detail_ratio(blurred) < fine_detail_ratio(noise)
    True
    """
    luma = _luma(image)
    fine = cv2.GaussianBlur(luma, (0, 0), sigma_px)
    coarse = cv2.GaussianBlur(luma, (0, 0), 2.0 * sigma_px)
    return float(np.abs(luma - fine).mean() / (np.abs(fine - coarse).mean() + 1e-3))
