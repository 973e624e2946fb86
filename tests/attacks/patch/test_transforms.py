import io

import numpy as np
import pytest

pytest.importorskip("torch", reason="the torch extra is not installed")

import torch
from PIL import Image

from attacks.patch.transforms import EOT, gaussian_blur, jpeg_like


def _crops(sample_face):
    crop = np.ascontiguousarray(sample_face[40:152, 180:292])
    return crop, torch.from_numpy(crop.astype(np.float32)).permute(2, 0, 1)[None]


def test_jpeg_like_approximates_real_jpeg(sample_face):
    crop, tensor = _crops(sample_face)
    buffer = io.BytesIO()
    Image.fromarray(crop).save(buffer, "JPEG", quality=60, subsampling=0)
    real = np.asarray(Image.open(buffer)).astype(np.float32)
    ours = jpeg_like(tensor, torch.tensor([60.0]))[0].permute(1, 2, 0).numpy()
    assert np.abs(ours - real).mean() < 0.5 * np.abs(crop - real).mean()


def test_jpeg_like_passes_gradients():
    pixels = torch.full((1, 3, 8, 8), 100.0, requires_grad=True)
    jpeg_like(pixels, torch.tensor([50.0])).sum().backward()
    assert pixels.grad.abs().sum() > 0


def test_blur_keeps_the_mean_and_lowers_the_variation(sample_face):
    _, tensor = _crops(sample_face)
    blurred = gaussian_blur(tensor, torch.tensor([1.5]))
    assert float(blurred.mean()) == pytest.approx(float(tensor.mean()), rel=0.01)
    assert float(blurred.diff(dim=3).abs().mean()) < float(tensor.diff(dim=3).abs().mean())


def test_identity_changes_nothing(sample_face):
    _, tensor = _crops(sample_face)
    generator = torch.Generator().manual_seed(0)
    matrices = torch.tensor([[[0.9, 0.1, 3.0], [-0.1, 0.9, 4.0]]])
    identity = EOT.identity()
    assert torch.allclose(identity.perturb_matrices(matrices, generator, size=112), matrices)
    assert torch.allclose(identity.photometric(tensor, generator), tensor)


def test_same_seed_same_draws_other_seed_other_draws(sample_face):
    _, tensor = _crops(sample_face)
    batch = tensor.repeat(3, 1, 1, 1)

    def draw(seed):
        return EOT().photometric(batch, torch.Generator().manual_seed(seed))

    assert torch.equal(draw(1), draw(1))
    assert not torch.equal(draw(1), draw(2))
