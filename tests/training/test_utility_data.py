"""UnifiedQualityScore samples: the identity split and the arrays built for an item."""

from __future__ import annotations

import numpy as np
import pytest

from fiqa.training.utility_data import (
    PERTURBATIONS,
    DataOptions,
    Item,
    build_arrays,
    item_recognizers,
    lfw_eval_people,
    sample_items,
)
from fiqa.training.utility_eval import evaluation_pairs, identity_of


def test_evaluated_people_are_never_trained_on(shared_data):
    options = DataOptions()
    items = sample_items(shared_data, options)
    trained = {(i.source, i.identity) for i in items if i.role != "eval"}
    pairs = evaluation_pairs(shared_data, options)
    evaluated = {("cfp" if "/cfp/" in p else "lfw", identity_of(p))
                 for p in set(pairs["image_a"]) | set(pairs["image_b"])}
    assert evaluated and trained and not trained & evaluated
    assert set(pairs["protocol"]) == {"LFW", "CFP-FF", "CFP-FP"}
    assert len(pairs[pairs["protocol"] == "CFP-FP"]) == 700  # CFP fold 02
    assert lfw_eval_people(shared_data, options.lfw_eval_folds) == {
        i.identity for i in items if i.role == "eval" and i.source == "lfw"}


def test_degraded_copies_are_deterministic_and_from_the_list(shared_data):
    first, second = (sample_items(shared_data, DataOptions(seed=4)) for _ in range(2))
    assert first == second
    degraded = [i for i in first if i.perturbation]
    assert degraded and {i.perturbation for i in degraded} <= set(PERTURBATIONS)
    assert {i.severity for i in degraded} <= {1, 2, 3, 4, 5}
    assert all(i.role != "eval" for i in degraded)
    assert sample_items(shared_data, DataOptions(seed=5)) != first


def test_profile_copies_add_degraded_profile_views_and_keep_the_others(shared_data):
    plain = sample_items(shared_data, DataOptions())
    more = sample_items(shared_data, DataOptions(profile_copies=2))
    added = [i for i in more if i not in plain]
    assert set(plain) <= set(more)  # the first copy of every photograph is unchanged
    assert added and all(i.source == "cfp" and "/profile/" in i.path and i.perturbation
                         and i.role != "eval" for i in added)
    profiles = {i.path for i in plain if "/profile/" in i.path and i.role != "eval"}
    assert len(added) == 2 * len(profiles)


def test_second_recognizer_runs_on_evaluation_and_listed_sources():
    options = DataOptions()
    assert item_recognizers(Item("x", "lfw", "a", "eval"), options) == ("sface", "dlib")
    assert item_recognizers(Item("x", "cfp", "1", "train"), options) == ("sface", "dlib")
    assert item_recognizers(Item("x", "cfp", "1", "train", "jpeg", 2), options) == ("sface",)
    assert item_recognizers(Item("x", "lfw", "a", "train"), options) == ("sface",)
    every = DataOptions(all_recognizer_sources=("cfp", "cfp/degraded", "lfw", "lfw/degraded"))
    assert item_recognizers(Item("x", "lfw", "a", "train", "jpeg", 2), every) == ("sface", "dlib")
    assert item_recognizers(Item("x", "lfw", "a", "val"), every) == ("sface", "dlib")


@pytest.mark.slow
def test_arrays_hold_crops_unit_embeddings_and_raw_lengths(lfw_image_paths):
    items = [Item(str(lfw_image_paths[0]), "lfw", "a", "train"),
             Item(str(lfw_image_paths[0]), "lfw", "a", "train", "jpeg", 3)]
    arrays = build_arrays(items, recognizers=("sface",))
    assert arrays["ok"].all() and arrays["crops"].shape == (2, 112, 112, 3)
    np.testing.assert_allclose(np.linalg.norm(arrays["emb_sface"], axis=1), 1, rtol=1e-5)
    assert np.all(arrays["norm_sface"] > 1)
    assert arrays["emb_sface"][0] @ arrays["emb_sface"][1] > 0.5
