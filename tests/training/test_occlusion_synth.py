"""Synthetic occluders: labels where something hides the face, none where nothing does."""

from __future__ import annotations

import numpy as np
import pytest

from fiqa.training.occlusion_synth import (
    DISTRACTORS,
    EYES,
    KINDS,
    SIZE,
    draw_occluder,
    occluded_sample,
)


@pytest.fixture(scope="module")
def faces():
    rng = np.random.default_rng(5)
    crop = np.clip(rng.normal(150, 20, (SIZE, SIZE, 3)), 0, 255).astype(np.uint8)
    donor = rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)
    return crop, donor


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_occluder_labels_exactly_the_opaque_pixels(kind, faces):
    for seed in range(5):
        layer, alpha, label = draw_occluder(kind, *faces, np.random.default_rng(seed))
        assert layer.shape == (SIZE, SIZE, 3) and alpha.shape == label.shape == (SIZE, SIZE)
        assert label.any() and 0 <= alpha.min() and alpha.max() <= 1.0 + 1e-6
        if kind != "sunglasses":  # sunglasses also label their frame, drawn opaque
            np.testing.assert_array_equal(label, alpha > 0.5)


def test_sunglasses_cover_both_eyes_and_clear_glasses_hide_nothing(faces):
    for seed in range(5):
        _, _, dark = draw_occluder("sunglasses", *faces, np.random.default_rng(seed))
        assert all(dark[round(y), round(x)] for x, y in EYES)
        _, alpha, clear = draw_occluder("clear_glasses", *faces, np.random.default_rng(seed))
        assert not clear.any() and alpha.max() > 0.5  # its frame is drawn, but hides nothing


@pytest.mark.parametrize("kind", sorted(DISTRACTORS))
def test_distractors_change_the_image_but_not_the_label(kind, faces):
    _, alpha, label = draw_occluder(kind, *faces, np.random.default_rng(0))
    assert alpha.max() > 0.1 and not label.any()


def test_face_masks_leave_the_eyes_uncovered(faces):
    for seed in range(5):
        _, _, label = draw_occluder("face_mask", *faces, np.random.default_rng(seed))
        assert not label[: int(EYES[:, 1].max()) + 4].any()


def test_samples_are_reproducible_from_the_seed_and_differ_between_seeds(faces):
    first = occluded_sample(*faces, np.random.default_rng(7), clean_share=0.0)
    again = occluded_sample(*faces, np.random.default_rng(7), clean_share=0.0)
    other = occluded_sample(*faces, np.random.default_rng(8), clean_share=0.0)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[1], other[1])


def test_clean_samples_have_an_empty_label(faces):
    labels = [occluded_sample(*faces, np.random.default_rng(s), clean_share=1.0)[1] for s in range(5)]
    assert not np.any(labels)


def test_unknown_kinds_and_wrong_sizes_are_errors(faces):
    with pytest.raises(ValueError, match="unknown occluder 'scarf'; choose from brim"):
        draw_occluder("scarf", *faces, np.random.default_rng(0))
    with pytest.raises(ValueError, match="crops must be 112x112x3"):
        occluded_sample(faces[0][:64], faces[1], np.random.default_rng(0))
