"""Samples for the ``UnifiedQualityScore`` model: face crops with recognizer embeddings.

Recipe (deterministic for a given ``seed``):

1. **Identity split.** Evaluation identities are held out completely: every LFW person
   in View-2 pairs folds ``lfw_eval_folds`` (8-10 by default: 1,800 pairs, 1,333 people)
   and CFP identities 051-100 (CFP's own fold 02: 700 FF and 700 FP pairs). LFW's folds
   and CFP's folds are identity-disjoint, so no evaluated person is ever trained on.
   Training identities are ``lfw_train_people`` of the other LFW people with at least two
   images (evenly spaced in alphabetical order, ``images_per_person`` images each) and CFP identities 001-050 (all 10 frontal and 4 profile
   photos); about 10 % of them (by hash of the name) are kept for validation.
2. **Degraded copies.** Each training photograph is used as it is and in
   ``degraded_copies`` copies (CFP profile views in ``profile_copies`` more; drawn from a
   generator seeded by ``seed`` and the photograph's name), each with one perturbation from :mod:`attacks` (blur,
   compression, noise, resolution, lighting, occlusion; :data:`PERTURBATIONS`) at a
   severity drawn uniformly from 1-5, applied to the whole photograph before detection.
3. **Arrays.** For every sample the subject face (the largest) is detected, its 112 px
   ArcFace crop kept (the model's input) and each recognizer's raw embedding computed
   (unit vectors and the raw length are both kept). Labels are made from these arrays by
   :mod:`fiqa.training.utility_labels`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np

#: Perturbations used for degraded training copies (names in the ``attacks`` registry).
PERTURBATIONS = ("gaussian_blur", "motion_blur", "defocus_blur", "jpeg", "jpeg2000",
                 "gaussian_noise", "shot_noise", "downscale", "darkness", "brightness",
                 "contrast", "occlusion")
CROP_SIZE = 112
#: Embedding length assumed for a chunk in which no face was found (SFace's and dlib's).
EMBEDDING_SIZE = 128
ROLES = ("train", "val", "eval")


@dataclass(frozen=True)
class DataOptions:
    """What :func:`utility_dataset` builds (recorded in the model card)."""

    seed: int = 0
    lfw_eval_folds: tuple[int, ...] = (10,)
    cfp_eval_ids: tuple[int, int] = (51, 100)
    lfw_train_people: int = 1200
    images_per_person: int = 3
    degraded_copies: int = 1
    profile_copies: int = 0
    recognizers: tuple[str, ...] = ("sface", "dlib")
    all_recognizer_sources: tuple[str, ...] = ("cfp",)


@dataclass(frozen=True)
class Item:
    """One sample to build: a photograph, optionally perturbed."""

    path: str
    source: str
    identity: str
    role: str
    perturbation: str = ""
    severity: int = 0


def validation_identity(source: str, identity: str, *, purpose: str = "utility") -> bool:
    """True for the ~10 % of training identities kept for validation (by a hash of
    ``purpose``, source and name: each model that uses it draws its own split).

    Examples
    --------
    >>> isinstance(validation_identity("lfw", "Aaron_Eckhart"), bool)
    True
    """
    digest = hashlib.sha256(f"{purpose}/{source}/{identity}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < 0.1


def lfw_eval_people(data_dir: str | os.PathLike, folds) -> set[str]:
    """LFW people appearing in the given View-2 folds of ``lfw_pairs.txt``."""
    from fiqa.evaluation.pairs import read_lfw_pairs

    pairs = read_lfw_pairs(Path(data_dir) / "lfw_pairs.txt")
    chosen = pairs[pairs["fold"].isin(list(folds))]
    return {path.split("/")[0] for path in set(chosen["image_a"]) | set(chosen["image_b"])}


def cfp_is_eval(identity: str, options: DataOptions) -> bool:
    low, high = options.cfp_eval_ids
    return low <= int(identity) <= high


def clean_items(data_dir: str | os.PathLike, options: DataOptions) -> list[Item]:
    """Every unperturbed photograph used, with its role (see the module recipe)."""
    root = Path(data_dir)
    held_out = lfw_eval_people(root, options.lfw_eval_folds)
    people = sorted(p for p in (root / "lfw").iterdir() if p.is_dir())
    items = [Item(str(path), "lfw", person.name, "eval") for person in people
             if person.name in held_out for path in sorted(person.glob("*.jpg"))]
    eligible = [p for p in people if p.name not in held_out and len(list(p.glob("*.jpg"))) >= 2]
    picks = np.unique(np.linspace(0, len(eligible) - 1, min(options.lfw_train_people,
                                                            len(eligible))).round().astype(int))
    for person in (eligible[index] for index in picks):
        role = "val" if validation_identity("lfw", person.name) else "train"
        items += [Item(str(path), "lfw", person.name, role)
                  for path in sorted(person.glob("*.jpg"))[:options.images_per_person]]
    for person in sorted(p for p in (root / "cfp").iterdir() if p.is_dir()):
        if cfp_is_eval(person.name, options):
            role = "eval"
        else:
            role = "val" if validation_identity("cfp", person.name) else "train"
        for path in sorted(person.glob("*/*.jpg")):
            items.append(Item(str(path), "cfp", person.name, role))
    return items


def sample_items(data_dir: str | os.PathLike, options: DataOptions,
                 *, eval_images: set[str] | None = None) -> list[Item]:
    """Clean items plus degraded copies of the training and validation ones.

    ``eval_images`` (absolute paths) limits the evaluation photographs to those a protocol
    uses (LFW folds hold many more images than their pairs need).
    """
    items = []
    for item in clean_items(data_dir, options):
        if item.role == "eval":
            if eval_images is None or str(Path(item.path).resolve()) in eval_images:
                items.append(item)
            continue
        items.append(item)
        name = f"{item.source}/{Path(item.path).parent.name}/{Path(item.path).name}"
        digest = hashlib.sha256(f"{options.seed}/{name}".encode()).digest()
        rng = np.random.default_rng(int.from_bytes(digest[:8], "big"))
        profile = item.source == "cfp" and Path(item.path).parent.name == "profile"
        for _ in range(options.degraded_copies + (options.profile_copies if profile else 0)):
            name = PERTURBATIONS[int(rng.integers(len(PERTURBATIONS)))]
            items.append(Item(item.path, item.source, item.identity, item.role, name,
                              int(rng.integers(1, 6))))
    return items


@functools.cache
def _pipeline(recognizers: tuple[str, ...]):
    from fiqa.pipeline import PipelineSpec

    return PipelineSpec(measures=(), recognizers=recognizers).build()


def _perturb(image: np.ndarray, name: str, *, item: Item, seed: int):
    """The item's perturbation (a pipeline transform), drawn from a generator seeded by
    ``seed``, the photograph and the perturbation."""
    from attacks import apply_perturbation

    digest = hashlib.sha256(f"{seed}/{item.path}/{item.perturbation}".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "big"))
    return apply_perturbation(image, item.perturbation, severity=item.severity, rng=rng)


def build_arrays(items: list[Item], *, recognizers: tuple[str, ...], seed: int = 0) -> dict:
    """Run items through :class:`fiqa.pipeline.FacePipeline` (no quality measures) and
    keep what training needs.

    Returns a dict of arrays aligned with ``items``: ``ok`` (a face was found), ``crops``
    (N, 112, 112, 3) uint8 ArcFace crops of the subject
    (:meth:`fiqa.context.FaceContext.arcface`), ``inter_eye`` and, per recognizer ``r``,
    ``emb_<r>`` (unit vectors) and ``norm_<r>`` (length of the raw output).
    """
    from fiqa.context import FaceContext
    from fiqa.pipeline import Item as PipelineItem

    pipeline = _pipeline(tuple(recognizers))
    records = pipeline.run([
        PipelineItem(item.path, path=item.path, keep_image=True,
                     transform=functools.partial(_perturb, item=item, seed=seed)
                     if item.perturbation else None) for item in items])
    n = len(items)
    out = {"ok": np.zeros(n, bool), "crops": np.zeros((n, CROP_SIZE, CROP_SIZE, 3), np.uint8),
           "inter_eye": np.full(n, np.nan, np.float32)}
    found = [record for record in records if record.embeddings]
    for name in recognizers:
        dim = len(found[0].embeddings[name]) if found else EMBEDDING_SIZE
        out[f"emb_{name}"] = np.full((n, dim), np.nan, np.float32)
        out[f"norm_{name}"] = np.full(n, np.nan, np.float32)
    for row, record in enumerate(records):
        if record.subject is None or set(record.embeddings) != set(recognizers):
            continue
        context = FaceContext.build(record.image, record.faces, subject=record.subject)
        out["ok"][row] = True
        out["crops"][row] = context.arcface(size=CROP_SIZE)
        out["inter_eye"][row] = record.subject.inter_eye_distance
        for name in recognizers:
            out[f"emb_{name}"][row] = record.embeddings[name]
            out[f"norm_{name}"][row] = record.norms[name]
    return out


def item_recognizers(item: Item, options: DataOptions) -> tuple[str, ...]:
    """Recognizers run on an item: all of them on evaluation items and on the samples
    ``all_recognizer_sources`` lists (``"cfp"``: CFP's clean photographs;
    ``"cfp/degraded"``: their degraded copies), only the first elsewhere (the second
    recognizer, dlib, costs most of the time on a small CPU).

    Examples
    --------
    >>> options = DataOptions(all_recognizer_sources=("cfp", "lfw/degraded"))
    >>> [item_recognizers(Item("x", source, "a", "train", perturbation, 1), options)
    ...  for source, perturbation in (("cfp", ""), ("cfp", "jpeg"), ("lfw", ""), ("lfw", "jpeg"))]
    [('sface', 'dlib'), ('sface',), ('sface',), ('sface', 'dlib')]
    """
    kind = f"{item.source}/degraded" if item.perturbation else item.source
    if item.role == "eval" or kind in options.all_recognizer_sources:
        return tuple(options.recognizers)
    return tuple(options.recognizers[:1])


def _item_file(cache: Path, item: Item, recognizers, seed: int) -> Path:
    key = json.dumps([asdict(item), list(recognizers), seed], sort_keys=True)
    return cache / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.npz"


def _build_chunk(args) -> dict:
    """Arrays of a chunk of items, each item cached in its own file (resumable)."""
    items, recognizers, seed, cache, build = args
    files = [_item_file(cache, item, recognizers, seed) for item in items]
    todo = [row for row, file in enumerate(files) if not file.is_file()]
    if todo and not build:
        present = [file.is_file() for file in files]
        if not any(present):
            return {"built": np.array(present)}
        stored = [dict(np.load(file)) if ok else None for file, ok in zip(files, present)]
        template = next(entry for entry in stored if entry is not None)
        stored = [entry or {k: np.zeros_like(v) for k, v in template.items()} for entry in stored]
        return {"built": np.array(present), **{k: np.stack([e[k] for e in stored])
                                               for k in template}}
    if todo:
        built = build_arrays([items[row] for row in todo], recognizers=recognizers, seed=seed)
        for index, row in enumerate(todo):
            temporary = files[row].with_suffix(f".{os.getpid()}.tmp.npz")
            np.savez(temporary, **{key: value[index] for key, value in built.items()})
            os.replace(temporary, files[row])
    stored = [dict(np.load(file)) for file in files]
    return {"built": np.ones(len(files), bool),
            **{key: np.stack([entry[key] for entry in stored]) for key in stored[0]}}


def _merge(parts: list[dict]) -> dict:
    """Concatenate chunk arrays; recognizers a chunk did not run become NaN."""
    keys = list(dict.fromkeys(key for part in parts for key in part))
    merged = {}
    for key in keys:
        template = next(part[key] for part in parts if key in part)
        merged[key] = np.concatenate([
            part[key] if key in part else
            np.full((len(part["built"]),) + template.shape[1:],
                    np.nan if template.dtype.kind == "f" else 0, template.dtype)
            for part in parts])
    return merged


def utility_dataset(data_dir: str | os.PathLike, *, cache_dir: str | os.PathLike,
                    options: DataOptions = DataOptions(), workers: int = 1,
                    eval_images: set[str] | None = None, build: bool = True,
                    roles: tuple[str, ...] = ROLES, log=print) -> dict:
    """All samples as arrays (see :func:`build_arrays`) plus per-item metadata columns
    ``path``, ``source``, ``identity``, ``role``, ``perturbation``, ``severity``.

    Each sample is cached as ``<cache_dir>/samples/<hash>.npz`` (the hash covers the item,
    the recognizers and the seed), so an interrupted or enlarged run only builds what is
    missing. Evaluation samples are built first, then CFP, then LFW. With
    ``build=False`` only the samples already cached are returned; ``roles`` limits the
    samples to some of :data:`ROLES`.
    """
    items = sorted((item for item in sample_items(data_dir, options, eval_images=eval_images)
                    if item.role in roles),
                   key=lambda item: (item.role != "eval", item.source != "cfp"))
    cache = Path(cache_dir) / "samples"
    cache.mkdir(parents=True, exist_ok=True)
    size = 32
    groups: dict[tuple, list[Item]] = {}
    for item in items:
        groups.setdefault(item_recognizers(item, options), []).append(item)
    items = [item for group in groups.values() for item in group]
    jobs = [(group[start:start + size], names, options.seed, cache, build)
            for names, group in groups.items() for start in range(0, len(group), size)]
    parts = []
    with get_context("fork").Pool(max(1, workers)) as pool:
        for done, part in enumerate(pool.imap(_build_chunk, jobs), 1):
            parts.append(part)
            if done % 10 == 0 or done == len(jobs):
                log(f"built {min(done * size, len(items))} of {len(items)} samples")
    data = _merge(parts)
    built = data.pop("built")
    items = [item for item, keep in zip(items, built) if keep]
    data = {key: value[built] for key, value in data.items()}
    for field in ("path", "source", "identity", "role", "perturbation"):
        data[field] = np.array([getattr(item, field) for item in items], dtype=str)
    data["severity"] = np.array([item.severity for item in items], np.int8)
    return data
