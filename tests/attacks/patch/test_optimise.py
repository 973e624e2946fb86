import numpy as np
import pytest

pytest.importorskip("torch", reason="the torch extra is not installed")

import torch

from attacks.patch.optimise import PatchAttack, Target, render_patch
from attacks.patch.transforms import EOT
from fiqa.face import Face, align_face
from fiqa.recognition import sface


@pytest.fixture(scope="module")
def target(astronaut_face):
    image, face = astronaut_face
    template = sface().embed(align_face(image, face.landmarks)[None])[0]
    return Target(image, face.landmarks, face.box, template)


def test_gradients_reach_the_patch(recognizer, target):
    def texture(rate):
        return PatchAttack(recognizer, steps=1, eot=EOT.identity(), learning_rate=rate,
                           seed=0).fit([target]).texture

    moved = (texture(0.01) - texture(0.0)).abs() > 1e-4
    assert float(moved.float().mean()) > 0.5  # Adam's first step moves every texel with a gradient


def test_zero_strength_patch_leaves_image_and_embedding_unchanged(recognizer, target):
    attack = PatchAttack(recognizer, steps=1, eot=EOT.identity()).fit([target])
    unchanged = attack.render(target, strength=0.0)
    assert np.array_equal(unchanged, target.image)
    assert not np.array_equal(attack.render(target), target.image)
    image = torch.from_numpy(np.array(target.image, np.float32)).permute(2, 0, 1)[None]
    placement = attack.place(target)
    with torch.no_grad():
        patched = render_patch(image, attack.texture, torch.from_numpy(placement.mask)[None, None],
                               torch.from_numpy(placement.grid)[None], strength=0.0)
        assert torch.equal(recognizer(patched, target.landmarks[None]),
                           recognizer(image, target.landmarks[None]))


def test_dodging_loss_decreases_on_a_real_face(recognizer, target):
    attack = PatchAttack(recognizer, steps=12, eot=EOT.identity(), learning_rate=0.1,
                         seed=3).fit([target])
    similarity = [row["similarity"] for row in attack.history]
    assert np.mean(similarity[-3:]) < similarity[0] - 0.05


def test_impersonation_pulls_toward_the_target(recognizer, target):
    other = sface().embed(np.full((1, 112, 112, 3), 90, np.uint8))[0]
    pulled = Target(target.image, target.landmarks, target.box, other)
    attack = PatchAttack(recognizer, mode="impersonation", steps=8, eot=EOT.identity(),
                         learning_rate=0.1).fit([pulled])
    similarity = [row["similarity"] for row in attack.history]
    assert np.mean(similarity[-3:]) > similarity[0]


def test_same_seed_same_patch(recognizer, target):
    def fit(seed):
        return PatchAttack(recognizer, steps=2, seed=seed).fit([target]).texture

    assert torch.equal(fit(5), fit(5))
    assert not torch.equal(fit(5), fit(6))


def test_bad_options_are_refused(recognizer, target):
    with pytest.raises(ValueError, match="mode must be one of"):
        PatchAttack(recognizer, mode="evade")
    with pytest.raises(ValueError, match="optimiser must be one of"):
        PatchAttack(recognizer, optimiser="sgd")
    with pytest.raises(RuntimeError, match="call fit"):
        PatchAttack(recognizer).render(target)


def test_universal_patch_fits_one_texture_for_several_faces(recognizer, target):
    mirrored = np.ascontiguousarray(target.image[:, ::-1])
    face = Face(target.box, target.landmarks, 1.0).mirrored(target.image.shape[1])
    other = Target(mirrored, face.landmarks, face.box, target.reference)
    attack = PatchAttack(recognizer, steps=2, batch_size=1, eot=EOT.identity()).fit(
        [target, other])
    assert attack.texture.dim() == 3 and len(attack.history) == 2
    left, right = attack.render(target), attack.render(other)
    changed_left = np.any(left != target.image, axis=2)
    changed_right = np.any(right != mirrored, axis=2)
    assert abs(int(changed_left.sum()) - int(changed_right.sum())) < 0.1 * changed_left.sum()
