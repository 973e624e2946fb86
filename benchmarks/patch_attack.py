"""Dodging with a per-image eyeglasses patch: success at FMR 1e-3 and seconds per image.

Probes are the mated pairs of LFW fold 10 (image_a patched, image_b enrolled), people not
looked at while the attack was developed; the threshold is calibrated on the non-mated
pairs of folds 1-9. Only pairs the recognizer matches when clean count as attacks.
Every patched image is judged black-box (8-bit PNG -> YuNet -> alignment -> onnxruntime).

With ``--art``, ART's adversarial patch (Brown et al. 2017) runs on the same probes with
the same area and step budget. ART's ``AdversarialPatchPyTorch`` needs torchvision, which
cannot be installed beside fiqa's torch, so its NumPy implementation
(``AdversarialPatchNumpy``, same algorithm, gradients from ART's ``PyTorchClassifier``) is
used: the recognizer becomes a classifier over the enrolled identities (logits = 30 x
cosine to each template), on aligned 112x112 crops in 0..1; ART only supports targeted
patches, so each probe is pushed toward its most similar other enrolled identity; the
circular patch's centre is restricted to the eyeglasses band and its scale set so its area
equals the same fraction of the face box. The patched crop is warped back into the image
and evaluated like ours.

  python benchmarks/patch_attack.py --identities 20 --art-identities 10 --threads 2

Transfer (``--judge dlib``): every patched PNG is also judged black-box by dlib at dlib's own
FMR 1e-3 threshold (non-mated pairs of folds 1-9); only probes dlib matches when clean count.
``--regions`` and ``--areas`` take comma lists and ``--universal`` adds one universal patch per
region and area (fitted on all the probes at once), so one run prints white-box (SFace) and
transfer (dlib) success per kind, region and area:

  python benchmarks/patch_attack.py --identities 20 --regions eyeglasses,forehead \
      --areas 0.04,0.08 --universal --judge dlib --threads 2 --cache-dir /tmp/fiqa-emb
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from fiqa.data import data_dir


def _embeddings(paths):
    """(N, 128) SFace embeddings of image files by the pipeline (NaN rows where it failed)."""
    from fiqa.evaluation.embeddings import embed_files

    table = embed_files(paths)["sface"]
    return table.embeddings[table.rows(paths)]


def _held_out_jobs(pairs, root, threshold, count):
    from attacks.patch.run import jobs_from_pairs

    jobs = jobs_from_pairs(pairs[pairs["fold"] == 10], root=root, mode="dodging")
    a = _embeddings([j.probe for j in jobs])
    b = _embeddings([j.template_image for j in jobs])
    scores = np.sum(a * b, axis=1)
    matched = [job for job, score in zip(jobs, scores) if score >= threshold]
    seen, chosen = set(), []
    for job in matched:  # one pair per person
        person = Path(job.probe).parent.name
        if person not in seen:
            seen.add(person)
            chosen.append(job)
    return chosen[:count], int(np.sum(scores >= threshold)), len(jobs)


def art_dodging(jobs, out_dir, *, recognizer, detector, threshold, area, steps):
    """ART's adversarial patch per probe; returns rows like ``run_patch_attack``'s."""
    import cv2
    import torch
    from art.attacks.evasion import AdversarialPatchNumpy
    from art.estimators.classification import PyTorchClassifier

    from attacks.patch.evaluate import judge_patches, save_png
    from attacks.patch.regions import place_region
    from fiqa.face import ARCFACE_TEMPLATE, align_face, alignment_matrix
    from fiqa.io import load_image

    templates = _embeddings([j.template_image for j in jobs])
    gallery = torch.from_numpy(templates.astype(np.float32))

    class GalleryClassifier(torch.nn.Module):
        def forward(self, crops):  # (N, 3, 112, 112) in 0..1
            embeddings = recognizer.embed_aligned(crops * 255.0)
            return 30.0 * embeddings @ gallery.T

    class Patch(AdversarialPatchNumpy):
        # ART 1.20.1 computes the initial grey as numpy.float32, which its own reset_patch
        # refuses (it accepts only Python floats); start from the same mid-grey.
        def reset_patch(self, initial_patch_value):
            self.patch = np.full(self.patch_shape, float(initial_patch_value), np.float32)

    classifier = PyTorchClassifier(model=GalleryClassifier(), loss=torch.nn.CrossEntropyLoss(),
                                   input_shape=(3, 112, 112), nb_classes=len(jobs),
                                   clip_values=(0.0, 1.0), channels_first=True)
    rows = []
    for index, job in enumerate(jobs):
        image = load_image(job.probe)
        face = detector.detect(image)[0]
        crop = align_face(image, face.landmarks).astype(np.float32) / 255.0
        matrix = alignment_matrix(face.landmarks)
        scale_px = float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))
        crop_area = area * float(face.box[2] * face.box[3]) * scale_px**2
        patch_scale = float(np.sqrt(crop_area / (np.pi / 4))) / 112.0
        band = place_region((112, 112), ARCFACE_TEMPLATE, face.box * scale_px,
                            region="eyeglasses", area=area).mask > 0
        x = crop.transpose(2, 0, 1)[None]
        similarity = (templates @ templates[index])
        similarity[index] = -np.inf
        target = np.eye(len(jobs), dtype=np.float32)[[int(np.argmax(similarity))]]
        attack = Patch(classifier, target=int(np.argmax(similarity)),
                                       scale_min=patch_scale, scale_max=patch_scale,
                                       max_iter=steps, batch_size=1, verbose=False)
        started, cpu = time.perf_counter(), time.process_time()
        np.random.seed(index)
        attack.generate(x, y=target, mask=band[None])
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        patched_crop = attack.apply_patch(x, scale=patch_scale, mask=band[None])[0]
        changed = (np.abs(patched_crop - x[0]).sum(0) > 1e-6).astype(np.float32)
        size = (image.shape[1], image.shape[0])
        flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
        pasted = cv2.warpAffine(patched_crop.transpose(1, 2, 0) * 255.0, matrix, size,
                                flags=flags)
        weight = cv2.warpAffine(changed, matrix, size, flags=flags)[..., None] > 0.5
        result = np.where(weight, np.clip(pasted, 0, 255).round(), image).astype(np.uint8)
        path = save_png(result, Path(out_dir) / f"{index:03d}_{Path(job.probe).stem}_art.png")
        [outcome] = judge_patches([(job.probe, str(path), job.template_image)],
                                  threshold=threshold, mode="dodging")
        rows.append({**outcome, "seconds": seconds, "cpu_seconds": cpu,
                     "steps_run": steps,
                     "area_fraction": float(weight.sum() / (face.box[2] * face.box[3]))})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--identities", type=int, default=20)
    parser.add_argument("--art-identities", type=int, default=0,
                        help="also run ART on the first N of them (0: skip ART)")
    parser.add_argument("--skip-fiqa", action="store_true",
                        help="run only ART (e.g. in a second process)")
    parser.add_argument("--area", type=float, default=0.08)
    parser.add_argument("--areas", help="comma-separated areas (default: --area)")
    parser.add_argument("--regions", default="eyeglasses", help="comma-separated regions")
    parser.add_argument("--universal", action="store_true",
                        help="also fit one universal patch per region and area")
    parser.add_argument("--judge", default="", help="black-box judges, e.g. 'dlib'")
    parser.add_argument("--judge-thresholds", default="",
                        help="skip the judges' calibration: their thresholds, comma-separated")
    parser.add_argument("--reuse", action="store_true",
                        help="read results.csv of runs already in --out instead of attacking")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cache-dir", default=None, help="embedding cache (calibration)")
    parser.add_argument("--threshold", type=float,
                        help="skip the calibration and use this threshold")
    parser.add_argument("-o", "--out", default="benchmark-runs/patch_attack")
    args = parser.parse_args()

    import torch

    from attacks.patch.evaluate import clean_threshold, judge_results
    from attacks.patch.recognizer import load_recognizer
    from attacks.patch.run import run_patch_attack
    from fiqa.evaluation.embeddings import EmbeddingCache
    from fiqa.evaluation.pairs import read_lfw_pairs
    from fiqa.face import FaceDetector

    torch.set_num_threads(args.threads)
    root = data_dir() / "lfw"
    pairs = read_lfw_pairs(data_dir() / "lfw_pairs.txt")
    detector = FaceDetector()
    cache = EmbeddingCache(args.cache_dir) if args.cache_dir else None
    threshold = args.threshold
    if threshold is None:
        threshold = clean_threshold(pairs[pairs["fold"] <= 9], root=root, cache=cache)
        print(f"threshold at FMR 1e-3 (2700 non-mated pairs, folds 1-9): {threshold:.4f}")
    jobs, matched, total = _held_out_jobs(pairs, root, threshold, args.identities)
    print(f"fold 10: {matched}/{total} mated pairs match when clean; attacking {len(jobs)} "
          f"people, one pair each")
    recognizer = load_recognizer("sface")
    out = Path(args.out)
    summary, runs = [], []
    areas = tuple(float(a) for a in (args.areas or str(args.area)).split(","))
    kinds = ("per-image", "universal") if args.universal else ("per-image",)
    for kind in kinds if not args.skip_fiqa else ():
        for region in args.regions.split(","):
            run_dir = out / ("fiqa" if (kind, region) == ("per-image", "eyeglasses")
                             else f"fiqa_{kind}_{region}")
            if args.reuse and (run_dir / "results.csv").is_file():
                ours = pd.read_csv(run_dir / "results.csv")
            else:
                ours = run_patch_attack(jobs, run_dir, recognizer=recognizer, detector=detector,
                                        threshold=threshold, areas=areas, region=region,
                                        universal=kind == "universal", steps=args.steps)
            runs.append((f"fiqa {kind} {region}", run_dir, ours))
    judges = {}  # calibrated after the attacks, which do not need them
    given = [float(value) for value in args.judge_thresholds.split(",") if value]
    for index, name in enumerate(name for name in args.judge.split(",") if name):
        judges[name] = given[index] if index < len(given) else clean_threshold(
            pairs[pairs["fold"] <= 9], root=root, model=name, cache=cache)
        print(f"{name} threshold at FMR 1e-3 (folds 1-9): {judges[name]:.4f}")
    for label, run_dir, ours in runs:
        for name, judge_threshold in judges.items():
            ours = judge_results(ours, model=name, threshold=judge_threshold, mode="dodging")
        ours.to_csv(run_dir / "results.csv", index=False)
        for area, rows in ours.groupby("area"):
            summary.append(_summary(f"{label} {area:g}", rows, judges=list(judges)))
    if args.art_identities:
        art = art_dodging(jobs[:args.art_identities], out / "art", recognizer=recognizer,
                          detector=detector, threshold=threshold,
                          area=args.area, steps=args.steps)
        art.to_csv(out / "art_results.csv", index=False)
        if not args.skip_fiqa:
            summary.append(_summary("fiqa on the same probes as ART",
                                    ours.head(args.art_identities)))
        summary.append(_summary("ART AdversarialPatchNumpy (targeted to runner-up)", art))
    table = pd.DataFrame(summary)
    table.to_csv(out / "summary.csv", index=False)
    print(f"areas {', '.join(f'{a:g}' for a in areas)} of the face box, budget {args.steps} "
          f"steps, {args.threads} torch thread(s)")
    print(table.to_string(index=False))


def _summary(name: str, results: pd.DataFrame, *, judges: list[str] = ()) -> dict:
    transfer = {}
    for judge in judges:
        counted = results[results[f"{judge}.clean_ok"].astype(bool)]
        transfer[f"{judge}_clean_matched"] = len(counted)
        transfer[f"{judge}_success_rate"] = round(float(counted[f"{judge}.success"].mean()), 3)
    return {"method": name, "probes": len(results),
            "success_rate": round(float(results["success"].mean()), 3), **transfer,
            "score_before": round(float(results["score_before"].mean()), 3),
            "score_after": round(float(results["score_after"].mean()), 3),
            "mean_area": round(float(results["area_fraction"].mean()), 4),
            "mean_steps": round(float(results["steps_run"].mean()), 1),
            "wall_s_per_image": round(float(results["seconds"].mean()), 1),
            "max_wall_s": round(float(results["seconds"].max()), 1),
            "cpu_s_per_image": round(float(results["cpu_seconds"].mean()), 1)}


if __name__ == "__main__":
    main()
