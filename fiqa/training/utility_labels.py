"""Recognition-utility labels from embeddings (no image signal involved).

Three definitions from the literature, each computed per recognizer from its embeddings:

* **Certainty ratio** (CR-FIQA, Boutros et al., CVPR 2023):
  ``CR = CCS / (NNCCS + 1 + eps)`` where CCS is the cosine similarity of the sample to its
  own identity centre and NNCCS the highest similarity to any other identity's centre.
  CR-FIQA takes the centres from a classifier's weights during training; here a centre is
  the mean unit embedding of the identity's *clean* reference photographs, leaving out the
  sample's own photograph (and its degraded copies) so that a sample never votes for itself.
* **Similarity-distribution distance** (SDD-FIQA, Ou et al., CVPR 2021): the Wasserstein-1
  distance between the sample's mated similarities (to the identity's other clean
  photographs) and its non-mated ones (to a fixed random set of clean photographs of other
  identities). A sample its recognizer separates well from impostors scores high.
* **Embedding length** (MagFace, Meng et al., CVPR 2021; the idea behind OFIQ's unified
  score): the length of the recognizer's raw output before normalisation. Recognizers
  trained with margin losses give faces they are sure of longer embeddings; unlike the
  two above it needs no identity, so it labels every sample, but it is one recognizer's
  own confidence.

Labels from several recognizers are mixed by :func:`mixed_rank`: each recognizer's label is
turned into its rank among the training samples (0..1) and the ranks are averaged, so
neither recognizer's scale dominates and the target is what both agree on (samples only
one recognizer was run on keep that recognizer's rank).
"""

from __future__ import annotations

import numpy as np

EPS = 1e-9
LABELS = ("cr", "sdd", "norm")


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


def _groups(embeddings: np.ndarray, identity: np.ndarray, reference: np.ndarray):
    """Reference rows (with an embedding) per identity, and each sample's identity index."""
    reference = reference & np.isfinite(embeddings).all(axis=1)
    names, inverse = np.unique(identity, return_inverse=True)
    members = [np.flatnonzero(reference & (inverse == k)) for k in range(len(names))]
    return inverse, members


def certainty_ratio(embeddings, identity, photo, reference) -> np.ndarray:
    """CR-FIQA's certainty ratio per sample (NaN without an embedding or either centre).

    Parameters
    ----------
    embeddings : ndarray, (N, D)
        Unit embeddings (NaN rows for samples without a face).
    identity, photo : ndarray of str, (N,)
        The person and the source photograph of each sample (degraded copies share it).
    reference : ndarray of bool, (N,)
        Samples that make identity centres (the clean photographs with a face).

    Examples
    --------
    >>> e = _unit(np.array([[1, 0], [1, 0.1], [0, 1], [0.1, 1]], np.float32))
    >>> cr = certainty_ratio(e, np.array(list("aabb")), np.array(list("wxyz")),
    ...                      np.ones(4, bool))
    >>> bool(cr[0] > 0.45), bool(np.isclose(cr[0], cr[2]))
    (True, True)
    """
    embeddings = np.asarray(embeddings, np.float32)
    inverse, members = _groups(embeddings, identity, reference)
    sums = np.stack([embeddings[rows].sum(0) if len(rows) else np.zeros(embeddings.shape[1])
                     for rows in members])
    counts = np.array([len(rows) for rows in members])
    centres = _unit(sums)
    similarity = np.nan_to_num(embeddings) @ centres.T
    out = np.full(len(embeddings), np.nan)
    for i, k in enumerate(inverse):
        own = members[k][photo[members[k]] != photo[i]]
        if not np.isfinite(embeddings[i]).all() or len(own) == 0:
            continue
        ccs = float(embeddings[i] @ _unit(embeddings[own].sum(0)))
        others = np.delete(similarity[i], k)[np.delete(counts, k) > 0]
        if len(others):
            out[i] = ccs / (others.max() + 1 + EPS)
    return out


def sdd_distance(embeddings, identity, photo, reference, *, negatives: int = 256,
                 seed: int = 0) -> np.ndarray:
    """SDD-FIQA's Wasserstein distance between mated and non-mated similarities.

    ``negatives`` clean photographs of other identities are drawn once (``seed``) and
    shared by every sample. Same parameters as :func:`certainty_ratio`.

    Examples
    --------
    >>> e = np.array([[1, 0], [1, 0.1], [0, 1], [0.1, 1]], np.float32)
    >>> d = sdd_distance(e, np.array(list("aabb")), np.array(list("wxyz")), np.ones(4, bool))
    >>> bool(d[0] > 0.9)
    True
    """
    from scipy.stats import wasserstein_distance

    embeddings = np.asarray(embeddings, np.float32)
    inverse, members = _groups(embeddings, identity, reference)
    usable = np.concatenate(members)
    pool = np.random.default_rng(seed).permutation(np.sort(usable))[:negatives * 4]
    out = np.full(len(embeddings), np.nan)
    for i, k in enumerate(inverse):
        own = members[k][photo[members[k]] != photo[i]]
        if not np.isfinite(embeddings[i]).all() or len(own) == 0:
            continue
        impostors = pool[inverse[pool] != k][:negatives]
        mated = embeddings[own] @ embeddings[i]
        non_mated = embeddings[impostors] @ embeddings[i]
        out[i] = wasserstein_distance(mated, non_mated) * np.sign(mated.mean() - non_mated.mean())
    return out


def label_terms(spec: str, recognizers) -> list[tuple[str, str]]:
    """The (kind, recognizer) labels a spec mixes: kinds of :data:`LABELS` joined by
    ``+``, each computed for every one of ``recognizers`` unless it names its own
    (``kind:recognizer``).

    Examples
    --------
    >>> label_terms("sdd+norm:sface", ("sface", "dlib"))
    [('sdd', 'sface'), ('sdd', 'dlib'), ('norm', 'sface')]
    >>> label_terms("sd", ("sface",))
    Traceback (most recent call last):
    ...
    ValueError: unknown label 'sd' (did you mean 'sdd'?); choose from cr, sdd, norm, joined by + (a kind may name its recognizer: norm:sface)
    """
    import difflib

    terms = []
    for part in spec.split("+"):
        kind, _, own = part.strip().partition(":")
        if kind not in LABELS:
            close = difflib.get_close_matches(kind, LABELS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"unknown label {kind!r}{hint}; choose from {', '.join(LABELS)}, "
                             "joined by + (a kind may name its recognizer: norm:sface)")
        terms += [(kind, name) for name in ([own] if own else recognizers)]
    return terms


def utility_label(kind: str, embeddings, identity, photo, reference, *, norms=None,
                  **options) -> np.ndarray:
    """One label ``kind`` (:data:`LABELS`) for one recognizer's unit embeddings (and, for
    ``"norm"``, the lengths of its raw outputs, ``norms``)."""
    if kind == "norm":
        return np.asarray(norms, np.float64)
    if kind == "cr":
        return certainty_ratio(embeddings, identity, photo, reference)
    if kind == "sdd":
        return sdd_distance(embeddings, identity, photo, reference, **options)
    raise ValueError(f"unknown label {kind!r}; choose from {LABELS}")


def rank_within(values, population) -> np.ndarray:
    """Each value's position (0..1) within the finite values of ``population``.

    Examples
    --------
    >>> rank_within([0.0, 2.0, 5.0], [1.0, 2.0, 3.0, 4.0]).tolist()
    [0.0, 0.375, 1.0]
    """
    values = np.asarray(values, np.float64)
    reference = np.sort(np.asarray(population, np.float64)[np.isfinite(population)])
    low = np.searchsorted(reference, values, side="left")
    high = np.searchsorted(reference, values, side="right")
    ranks = (low + high) / 2 / len(reference)
    return np.where(np.isfinite(values), ranks, np.nan)


def mixed_rank(labels: list[np.ndarray], population: np.ndarray) -> np.ndarray:
    """Average rank of several labels, each ranked within its ``population`` rows; a
    sample without some label (NaN: that recognizer was not run on it) gets the average of
    the ranks it has, NaN only when it has none.

    Examples
    --------
    >>> mixed_rank([np.array([1.0, 2.0]), np.array([4.0, np.nan])], np.ones(2, bool)).tolist()
    [0.375, 0.75]
    """
    ranks = np.array([rank_within(label, label[population]) for label in labels])
    counts = np.isfinite(ranks).sum(axis=0)
    with np.errstate(invalid="ignore"):
        return np.where(counts > 0, np.nansum(ranks, axis=0) / counts, np.nan)
