"""Optimising an adversarial patch against a differentiable recognizer.

:class:`PatchAttack` holds the one piece of state: a patch texture (RGB values in 0..1)
being optimised. Fitting it on one image gives a per-image patch; fitting it on many
images of different identities gives a universal patch. Each step draws the patched
images through random re-capture conditions (:class:`attacks.patch.transforms.EOT`),
embeds them and moves the texture to lower the objective:

* dodging: the cosine similarity to the subject's reference embedding (push away);
* impersonation: one minus the cosine similarity to the target's template (pull toward);

plus ``tv_weight`` times the texture's total variation (smooth patches survive printing
and compression better).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from attacks.patch.recognizer import DifferentiableRecognizer
from attacks.patch.regions import Placement, place_region
from attacks.patch.transforms import EOT, straight_through_round

MODES = ("dodging", "impersonation")
OPTIMISERS = ("adam", "sign")


@dataclass(frozen=True)
class Target:
    """One image to patch: the RGB ``uint8`` image, its face and the reference embedding.

    For dodging the reference is the subject's own template (to move away from); for
    impersonation it is the target identity's template (to move toward).
    """

    image: np.ndarray
    landmarks: np.ndarray
    box: np.ndarray
    reference: np.ndarray


def render_patch(images: torch.Tensor, texture: torch.Tensor, masks: torch.Tensor,
                 grids: torch.Tensor, *, strength: float = 1.0) -> torch.Tensor:
    """Draw ``texture`` into ``images`` where ``masks`` is set.

    Parameters
    ----------
    images : Tensor, shape (N, 3, H, W)
        RGB in 0..255.
    texture : Tensor, shape (3, h, w) or (N, 3, h, w)
        Patch colours in 0..1.
    masks : Tensor, shape (N, 1, H, W)
    grids : Tensor, shape (N, H, W, 2)
        Texture coordinates of each pixel (:attr:`Placement.grid`).
    strength : float
        0 leaves the images unchanged, 1 replaces the masked pixels by the patch.

    Examples
    --------
    >>> images = torch.zeros(1, 3, 4, 4)
    >>> masks = torch.ones(1, 1, 4, 4)
    >>> grids = torch.zeros(1, 4, 4, 2)
    >>> float(render_patch(images, torch.ones(3, 2, 2), masks, grids).max())
    255.0
    """
    if texture.dim() == 3:
        texture = texture.unsqueeze(0).expand(images.shape[0], -1, -1, -1)
    sampled = F.grid_sample(texture * 255.0, grids, mode="bilinear", padding_mode="border",
                            align_corners=False)
    return images + strength * masks * (sampled - images)


def total_variation(texture: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference between neighbouring texels (0 for a flat texture).

    Examples
    --------
    >>> float(total_variation(torch.ones(3, 4, 4)))
    0.0
    """
    dx = (texture[..., :, 1:] - texture[..., :, :-1]).abs().mean()
    dy = (texture[..., 1:, :] - texture[..., :-1, :]).abs().mean()
    return dx + dy


class PatchAttack:
    """A patch texture optimised against a recognizer.

    Parameters
    ----------
    recognizer : DifferentiableRecognizer
    mode : {"dodging", "impersonation"}
    region : str
        A key of :data:`attacks.patch.regions.REGIONS`.
    area : float
        Patch area as a fraction of each face box.
    steps : int
        Optimisation steps (the budget).
    optimiser : {"adam", "sign"}
        Adam on the texture, or signed-gradient steps of ``learning_rate``.
    learning_rate : float
        Step size in texture units (0..1).
    tv_weight : float
        Weight of :func:`total_variation` in the loss.
    eot : EOT
        Random re-capture conditions; ``EOT.identity()`` optimises for the exact image.
    eot_samples : int
        Transformed copies of each image per step.
    batch_size : int
        Images per step when fitting on more images than this (universal patches).
    texels_per_px : float
        Texture resolution relative to the region's size in image pixels.
    stop_similarity : float or None
        Stop early once the mean similarity of a step's samples to the references falls
        below it (dodging) or rises above it (impersonation) for ``patience`` steps.
    patience : int
    detector : fiqa.face.FaceDetector or None
        When given, every ``redetect_every`` steps the current patched image (rounded to
        8 bits) goes through the detector and the landmarks it finds are used to align
        the following steps, as the real pipeline will (a patch over the eyes moves the
        detected eye landmarks by pixels, enough to undo a patch fitted to the old ones).
        The patch itself stays where it was placed.
    redetect_every : int
    seed : int
        Seeds the texture's initial values, the transformations and the batches.

    Attributes
    ----------
    texture : Tensor, shape (3, h, w)
        The patch (values in 0..1) after :meth:`fit`.
    history : list of dict
        Per step: ``step``, ``loss``, ``similarity``, ``tv``, ``seconds``.

    Examples
    --------
    >>> from attacks.patch.recognizer import load_recognizer
    >>> from fiqa.face import ARCFACE_TEMPLATE
    >>> image = np.full((150, 150, 3), 128, np.uint8)
    >>> target = Target(image, ARCFACE_TEMPLATE + 20, np.array([25, 25, 100, 110]),
    ...                 np.ones(128, np.float32) / np.sqrt(128))
    >>> attack = PatchAttack(load_recognizer(check_faces=None), steps=2).fit([target])
    >>> len(attack.history), attack.render(target).shape
    (2, (150, 150, 3))
    """

    def __init__(self, recognizer: DifferentiableRecognizer, *, mode: str = "dodging",
                 region: str = "eyeglasses", area: float = 0.08, steps: int = 200,
                 optimiser: str = "adam", learning_rate: float = 0.1,
                 tv_weight: float = 0.05, eot: EOT | None = None, eot_samples: int = 1,
                 batch_size: int = 4, texels_per_px: float = 1.0,
                 stop_similarity: float | None = None, patience: int = 5,
                 detector=None, redetect_every: int = 1, seed: int = 0):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if optimiser not in OPTIMISERS:
            raise ValueError(f"optimiser must be one of {OPTIMISERS}, got {optimiser!r}")
        if steps < 1 or eot_samples < 1 or batch_size < 1:
            raise ValueError("steps, eot_samples and batch_size must be at least 1")
        self.recognizer = recognizer
        self.mode = mode
        self.region = region
        self.area = area
        self.steps = steps
        self.optimiser = optimiser
        self.learning_rate = learning_rate
        self.tv_weight = tv_weight
        self.eot = EOT() if eot is None else eot
        self.eot_samples = eot_samples
        self.batch_size = batch_size
        self.texels_per_px = texels_per_px
        self.stop_similarity = stop_similarity
        self.patience = patience
        self.detector = detector
        self.redetect_every = redetect_every
        self.seed = seed
        self.texture: torch.Tensor | None = None
        self.history: list[dict] = []

    def place(self, target: Target) -> Placement:
        """This attack's region placed on ``target``'s face."""
        return place_region(target.image.shape[:2], target.landmarks, target.box,
                            region=self.region, area=self.area)

    def fit(self, targets: list[Target]) -> PatchAttack:
        """Optimise the texture over ``targets`` (one: per-image; many: universal)."""
        if not targets:
            raise ValueError("fit needs at least one target image")
        generator = torch.Generator().manual_seed(self.seed)
        placements = [self.place(target) for target in targets]
        width = max(p.extent_px[0] for p in placements) * self.texels_per_px
        height = max(p.extent_px[1] for p in placements) * self.texels_per_px
        shape = (3, max(4, int(np.ceil(height))), max(4, int(np.ceil(width))))
        texture = torch.rand(shape, generator=generator).requires_grad_(True)
        adam = torch.optim.Adam([texture], lr=self.learning_rate)
        tensors = [_target_tensors(t, p) for t, p in zip(targets, placements)]
        landmarks = [np.asarray(t.landmarks, np.float32) for t in targets]
        self.history = []
        streak = 0
        for step in range(self.steps):
            started = time.perf_counter()
            chosen = _choose(len(targets), self.batch_size, generator).tolist()
            if self.detector is not None and step % self.redetect_every == 0:
                for index in chosen:
                    landmarks[index] = self._redetect(texture, tensors[index], landmarks[index])
            matrices = self.recognizer.alignment(np.stack([landmarks[i] for i in chosen]))
            loss, similarity, tv = self._objective(texture, [tensors[i] for i in chosen],
                                                   matrices, generator)
            adam.zero_grad()
            loss.backward()
            with torch.no_grad():
                if self.optimiser == "adam":
                    adam.step()
                else:
                    texture -= self.learning_rate * texture.grad.sign()
                texture.clamp_(0.0, 1.0)
            self.history.append({"step": step, "loss": float(loss.detach()), "similarity": similarity,
                                 "tv": float(tv.detach()), "seconds": time.perf_counter() - started})
            streak = streak + 1 if self._reached(similarity) else 0
            if streak >= self.patience:
                break
        self.texture = texture.detach()
        return self

    def _redetect(self, texture, tensors, landmarks: np.ndarray) -> np.ndarray:
        image, mask, grid, _ = tensors
        with torch.no_grad():
            patched = render_patch(image, texture, mask, grid)
        faces = self.detector.detect(_to_uint8(patched))
        return faces[0].landmarks if faces else landmarks

    def _reached(self, similarity: float) -> bool:
        if self.stop_similarity is None:
            return False
        if self.mode == "dodging":
            return similarity < self.stop_similarity
        return similarity > self.stop_similarity

    def _objective(self, texture, batch, matrices, generator):
        images = torch.cat([b[0] for b in batch]).repeat(self.eot_samples, 1, 1, 1)
        masks = torch.cat([b[1] for b in batch]).repeat(self.eot_samples, 1, 1, 1)
        grids = torch.cat([b[2] for b in batch]).repeat(self.eot_samples, 1, 1, 1)
        references = torch.cat([b[3] for b in batch]).repeat(self.eot_samples, 1)
        matrices = matrices.repeat(self.eot_samples, 1, 1)
        patched = straight_through_round(render_patch(images, texture, masks, grids))
        size = self.recognizer.input_size
        crops = self.recognizer.align(
            patched, self.eot.perturb_matrices(matrices, generator, size=size))
        embeddings = self.recognizer.embed_aligned(self.eot.photometric(crops, generator))
        similarity = (embeddings * references).sum(1).mean()
        tv = total_variation(texture)
        objective = similarity if self.mode == "dodging" else 1.0 - similarity
        return objective + self.tv_weight * tv, float(similarity.detach()), tv

    def render(self, target: Target, *, strength: float = 1.0) -> np.ndarray:
        """``target``'s image with the fitted patch, as RGB ``uint8``."""
        if self.texture is None:
            raise RuntimeError("the patch is not fitted yet: call fit() first")
        image, mask, grid, _ = _target_tensors(target, self.place(target))
        with torch.no_grad():
            patched = render_patch(image, self.texture, mask, grid, strength=strength)
        return _to_uint8(patched)


def _to_uint8(image: torch.Tensor) -> np.ndarray:
    return image[0].permute(1, 2, 0).round().clamp(0, 255).to(torch.uint8).numpy()


def _target_tensors(target: Target, placement: Placement):
    image = torch.from_numpy(np.array(target.image, np.float32)).permute(2, 0, 1)[None]
    mask = torch.from_numpy(placement.mask)[None, None]
    grid = torch.from_numpy(placement.grid)[None]
    reference = torch.from_numpy(np.asarray(target.reference, np.float32)).reshape(1, -1)
    return image, mask, grid, F.normalize(reference, dim=1)


def _choose(count: int, batch_size: int, generator: torch.Generator) -> torch.Tensor:
    if count <= batch_size:
        return torch.arange(count)
    return torch.randperm(count, generator=generator)[:batch_size]
