"""Expectation over transformation: random re-capture conditions, differentiable in torch.

Geometric changes (small rotation, scale, shift) act on the alignment matrix, which is the
same as moving the face in the image before it is aligned again; photometric changes
(brightness, contrast, blur, JPEG-like compression) act on the aligned crop. Every draw
comes from a ``torch.Generator``, so a seed reproduces a run.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

#: IJG (libjpeg) base quantisation tables, scaled by quality as libjpeg does.
_LUMA_TABLE = [
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
]
_CHROMA_TABLE = [
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
    24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
] + [99] * 32


def straight_through_round(values: torch.Tensor) -> torch.Tensor:
    """Round in the forward pass, identity in the backward pass.

    Examples
    --------
    >>> x = torch.tensor([0.4, 1.6], requires_grad=True)
    >>> y = straight_through_round(x); y.sum().backward()
    >>> y.tolist(), x.grad.tolist()
    ([0.0, 2.0], [1.0, 1.0])
    """
    return values + (torch.round(values) - values).detach()


def gaussian_blur(images: torch.Tensor, sigma_px: torch.Tensor) -> torch.Tensor:
    """Separable Gaussian blur of (N, C, H, W) images, one ``sigma_px`` per image.

    Examples
    --------
    >>> flat = torch.full((1, 3, 8, 8), 7.0)
    >>> torch.allclose(gaussian_blur(flat, torch.tensor([1.5])), flat)
    True
    """
    radius = max(1, math.ceil(3 * float(sigma_px.max())))
    offsets = torch.arange(-radius, radius + 1, dtype=images.dtype)
    sigma = sigma_px.to(images.dtype).clamp_min(1e-3)[:, None]
    kernel = torch.exp(-0.5 * (offsets[None] / sigma) ** 2)
    kernel = kernel / kernel.sum(1, keepdim=True)  # (N, K)
    batch, channels, height, width = images.shape
    flat = images.reshape(1, batch * channels, height, width)
    weights = kernel.repeat_interleave(channels, 0)
    flat = F.pad(flat, (radius, radius, 0, 0), mode="replicate")
    flat = F.conv2d(flat, weights[:, None, None, :], groups=batch * channels)
    flat = F.pad(flat, (0, 0, radius, radius), mode="replicate")
    flat = F.conv2d(flat, weights[:, None, :, None], groups=batch * channels)
    return flat.reshape(batch, channels, height, width)


@functools.lru_cache(maxsize=1)
def _dct_matrix() -> torch.Tensor:
    k = torch.arange(8, dtype=torch.float64)
    basis = torch.cos((2 * k[None, :] + 1) * k[:, None] * math.pi / 16)
    basis[0] *= math.sqrt(0.5)
    return (basis * 0.5).to(torch.float32)


def _quant_tables(quality: torch.Tensor) -> torch.Tensor:
    quality = quality.clamp(1, 100)
    scale = torch.where(quality < 50, 5000 / quality, 200 - 2 * quality)
    tables = torch.tensor([_LUMA_TABLE, _CHROMA_TABLE, _CHROMA_TABLE], dtype=torch.float32)
    scaled = torch.floor((tables[None] * scale[:, None, None] + 50) / 100).clamp(1, 255)
    return scaled.reshape(-1, 3, 1, 1, 8, 8)


def jpeg_like(images: torch.Tensor, quality: torch.Tensor) -> torch.Tensor:
    """Differentiable JPEG approximation of (N, 3, H, W) RGB images in 0..255.

    YCbCr conversion, 8x8 block DCT, quantisation with libjpeg's tables at ``quality``
    (one per image) rounded with :func:`straight_through_round`, and the inverse steps;
    no chroma subsampling. H and W must be multiples of 8.

    Examples
    --------
    >>> flat = torch.full((1, 3, 16, 16), 100.0)
    >>> float((jpeg_like(flat, torch.tensor([75.0])) - flat).abs().max()) < 1.0
    True
    """
    batch, _, height, width = images.shape
    if height % 8 or width % 8:
        raise ValueError(f"jpeg_like needs sides that are multiples of 8, got {height}x{width}")
    to_ycc = torch.tensor([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5],
                           [0.5, -0.418688, -0.081312]])
    ycc = torch.einsum("ij,njhw->nihw", to_ycc, images)
    ycc = ycc - torch.tensor([128.0, 0.0, 0.0])[None, :, None, None]
    blocks = ycc.reshape(batch, 3, height // 8, 8, width // 8, 8).permute(0, 1, 2, 4, 3, 5)
    dct = _dct_matrix()
    coefficients = dct @ blocks @ dct.T
    tables = _quant_tables(quality.to(torch.float32))
    coefficients = straight_through_round(coefficients / tables) * tables
    blocks = dct.T @ coefficients @ dct
    ycc = blocks.permute(0, 1, 2, 4, 3, 5).reshape(batch, 3, height, width)
    ycc = ycc + torch.tensor([128.0, 0.0, 0.0])[None, :, None, None]
    return torch.einsum("ij,njhw->nihw", torch.linalg.inv(to_ycc), ycc)


@dataclass(frozen=True)
class EOT:
    """Ranges of the random re-capture conditions (each drawn uniformly per sample).

    Attributes
    ----------
    rotation_deg : float
        Rotation in [-rotation_deg, rotation_deg] about the crop centre.
    scale : float
        Relative scale change in [-scale, scale].
    shift_px : float
        Shift in crop pixels, per axis, in [-shift_px, shift_px].
    brightness : float
        Added offset in [-brightness, brightness] (0..255 units).
    contrast : float
        Contrast factor in [1 - contrast, 1 + contrast] about the crop mean.
    blur_sigma_px : float
        Gaussian blur sigma in [0, blur_sigma_px] crop pixels.
    jpeg_quality : tuple of float
        JPEG-like quality range; ``jpeg_probability`` of samples are compressed.
    jpeg_probability : float

    Examples
    --------
    >>> eot = EOT()
    >>> crops = torch.full((2, 3, 112, 112), 120.0)
    >>> eot.photometric(crops, torch.Generator().manual_seed(0)).shape
    torch.Size([2, 3, 112, 112])
    """

    rotation_deg: float = 4.0
    scale: float = 0.05
    shift_px: float = 2.0
    brightness: float = 12.0
    contrast: float = 0.1
    blur_sigma_px: float = 0.8
    jpeg_quality: tuple[float, float] = (70.0, 95.0)
    jpeg_probability: float = 0.5

    @classmethod
    def identity(cls) -> EOT:
        """No transformation at all."""
        return cls(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, (100.0, 100.0), 0.0)

    def perturb_matrices(self, matrices: torch.Tensor, generator: torch.Generator, *,
                         size: int) -> torch.Tensor:
        """Compose (N, 2, 3) image -> crop matrices with a random similarity of the crop."""
        batch = matrices.shape[0]
        angle = torch.deg2rad(_uniform(batch, self.rotation_deg, generator))
        factor = 1.0 + _uniform(batch, self.scale, generator)
        shift = torch.stack([_uniform(batch, self.shift_px, generator),
                             _uniform(batch, self.shift_px, generator)], dim=1)
        cos, sin = factor * torch.cos(angle), factor * torch.sin(angle)
        centre = (size - 1) / 2.0
        linear = torch.stack([torch.stack([cos, -sin], 1), torch.stack([sin, cos], 1)], 1)
        offset = centre - linear @ torch.full((batch, 2, 1), centre, dtype=linear.dtype)
        jitter = torch.cat([linear, offset + shift[:, :, None]], dim=2)
        return jitter[:, :, :2] @ matrices + torch.cat(
            [torch.zeros(batch, 2, 2), jitter[:, :, 2:]], dim=2)

    def photometric(self, crops: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Brightness/contrast, blur and JPEG-like compression of (N, 3, S, S) crops."""
        batch = crops.shape[0]
        contrast = 1.0 + _uniform(batch, self.contrast, generator)[:, None, None, None]
        brightness = _uniform(batch, self.brightness, generator)[:, None, None, None]
        mean = crops.mean(dim=(1, 2, 3), keepdim=True)
        crops = (crops - mean) * contrast + mean + brightness
        if self.blur_sigma_px > 0:
            sigma = torch.rand(batch, generator=generator) * self.blur_sigma_px
            crops = gaussian_blur(crops, sigma)
        crops = crops.clamp(0, 255)
        if self.jpeg_probability > 0:
            low, high = self.jpeg_quality
            quality = low + torch.rand(batch, generator=generator) * (high - low)
            chosen = (torch.rand(batch, generator=generator) < self.jpeg_probability)
            compressed = jpeg_like(crops, quality).clamp(0, 255)
            crops = torch.where(chosen[:, None, None, None], compressed, crops)
        return crops


def _uniform(count: int, half_width: float, generator: torch.Generator) -> torch.Tensor:
    return (torch.rand(count, generator=generator) * 2 - 1) * half_width
