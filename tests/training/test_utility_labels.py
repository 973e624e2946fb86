"""Recognition-utility labels: certainty ratio, SDD distance and rank mixing."""

from __future__ import annotations

import numpy as np
import pytest

from fiqa.training.utility_labels import (
    certainty_ratio,
    mixed_rank,
    rank_within,
    sdd_distance,
    utility_label,
)


def _unit(v):
    v = np.asarray(v, np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture
def two_people():
    # person a: photos p0, p1 close together, p2 a poor copy of p0 halfway towards b
    emb = _unit([[1, 0, 0], [0.95, 0.1, 0], [0.6, 0.6, 0.1], [0, 1, 0], [0.1, 0.95, 0]])
    identity = np.array(["a", "a", "a", "b", "b"])
    photo = np.array(["p0", "p1", "p0", "q0", "q1"])
    reference = np.array([True, True, False, True, True])
    return emb, identity, photo, reference


def test_certainty_ratio_ranks_the_ambiguous_copy_lowest(two_people):
    cr = certainty_ratio(*two_people)
    assert np.argmin(cr) == 2
    # CCS / (NNCCS + 1): p0 against centre {p1} and the other centre {q0, q1}
    emb = two_people[0]
    centre_b = (emb[3] + emb[4]) / np.linalg.norm(emb[3] + emb[4])
    assert cr[0] == pytest.approx(emb[0] @ emb[1] / (emb[0] @ centre_b + 1), rel=1e-5)


def test_a_photo_never_counts_towards_its_own_centre(two_people):
    emb, identity, photo, reference = two_people
    # p0's degraded copy (row 2) is compared with p1 only, not with p0
    cr = certainty_ratio(emb, identity, photo, reference)
    centre_b = _unit([emb[3] + emb[4]])[0]
    assert cr[2] == pytest.approx(emb[2] @ emb[1] / (emb[2] @ centre_b + 1), rel=1e-5)


def test_no_centre_or_no_face_gives_nan(two_people):
    emb, identity, photo, reference = two_people
    emb = emb.copy()
    emb[3] = np.nan
    cr = certainty_ratio(emb, identity, photo, reference)
    assert np.isnan(cr[3])  # no embedding
    assert np.isnan(cr[4])  # q1's own centre would be q0, which has no embedding
    assert np.isfinite(cr[0])  # b's centre is q1 alone
    alone = certainty_ratio(emb, identity, photo, reference & (np.arange(5) != 4))
    assert np.isnan(alone[0])  # no other identity has a centre left


def test_sdd_distance_is_larger_for_the_clean_photo(two_people):
    d = sdd_distance(*two_people, negatives=10)
    assert d[0] > d[2]
    assert np.all(np.isfinite(d))


def test_unknown_label_lists_the_choices(two_people):
    with pytest.raises(ValueError, match="choose from"):
        utility_label("magface", *two_people)


def test_rank_mixing_averages_ranks_not_values():
    a, b = np.array([0.1, 0.2, 0.3]), np.array([300.0, 100.0, 200.0])
    mixed = mixed_rank([a, b], np.ones(3, bool))
    assert mixed.tolist() == pytest.approx([(1 / 6 + 5 / 6) / 2, (3 / 6 + 1 / 6) / 2,
                                            (5 / 6 + 3 / 6) / 2])
    assert np.isnan(rank_within([np.nan], [1.0])[0])
