"""Re-derive the shipped gate profiles (lenient, strict-enrolment) with ``fiqa calibrate``.

    python benchmarks/calibrate_profiles.py [--write]

Data: the held-out evaluation images of UnifiedQualityScore (LFW pairs fold 10, CFP fold
02 frontal and profile; see fiqa/training/utility_eval.py), scored with every measure
(``fiqa score``) and compared by SFace on their protocols (LFW, CFP FF, CFP FP). The
decision threshold is SFace's FMR 1e-3 point over every cross-identity comparison of the
LFW images. Each profile is the ``fiqa calibrate`` search over all gate-able measures
within its reject budget (:data:`PROFILES`). Prints each profile's trade-off and its
acceptance of ordinary clean photos (the LFW evaluation images; CFP frontal images 01
and 02 of all 100 people, gated with ``fiqa gate``). ``--write`` replaces the files in
fiqa/profiles/; rerun it after any measure's model changes. Everything is cached in
--cache-dir.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from fiqa.calibrate import calibrate_to_file
from fiqa.data import data_dir
from fiqa.engines import EngineOptions
from fiqa.gate import gate_table, gate_to_file, load_profile
from fiqa.measures import list_measures
from fiqa.training import utility_eval

#: name -> (reject budget over the evaluation images, description)
PROFILES = {
    "lenient": (0.05, ("Verification probes and everyday captures: rejects only the faces "
                      "recognizers most often fail on (a 5 % reject budget, calibrated on "
                      "recognition outcomes).")),
    "strict-enrolment": (0.25, ("Enrolment: rejects the quarter of faces least useful to a "
                               "recognizer (a 25 % reject budget, calibrated on recognition "
                               "outcomes); recapture them.")),
}


#: Rules a profile keeps whatever the search finds: enrolment policy (ISO/IEC 39794-5 asks
#: for open eyes and a closed mouth), not recognizer outcomes. Bounds from the hand-labelled
#: eye/mouth set (tests/data/eye_mouth_labels.csv; python benchmarks/eyes_mouth_labels.py):
#: every labelled closed-eye photo is below 0.037, every open mouth above 0.06.
POLICY = {"strict-enrolment": {"EyesOpen": {"raw_min": 0.037}, "MouthClosed": {"raw_max": 0.06}}}


def add_policy(path: Path, rules: dict) -> None:
    """Append policy ``rules`` to a calibrated profile, marked as such."""
    lines = ["", "# Policy rules (kept by every recalibration; not part of the trade-off above):"]
    for measure, bounds in rules.items():
        lines.append(f"[rules.{measure}]")
        lines += [f"{key} = {value:g}" for key, value in bounds.items()]
    path.write_text(path.read_text().rstrip("\n") + "\n" + "\n".join(lines) + "\n")


NOTE = ("data: the held-out evaluation images of UnifiedQualityScore (LFW pairs fold 10, "
        "CFP fold 02 frontal and profile); rerun: python benchmarks/calibrate_profiles.py "
        "--write")


def comparisons_file(cache, pairs, table, *, metadata: dict) -> Path:
    """SFace comparisons of every protocol as a ``fiqa verify``-style table + run record."""
    from fiqa.runs import run_record, write_record

    frames = [utility_eval.protocol_comparisons(pairs[pairs["protocol"] == p], table)
              for p in utility_eval.PROTOCOLS]
    out = Path(cache) / "eval_sface_comparisons.csv"
    pd.concat(frames, ignore_index=True).to_csv(out, index=False)
    write_record(out, run_record("verify", models={"sface": metadata},
                                 parameters={"root": "/", "model": "sface"}))
    return out


def cfp_frontal_acceptance(root, cache, profile_path) -> float:
    """Share of CFP frontal images 01 and 02 (all 100 people) ``fiqa gate`` accepts."""
    listing = Path(cache) / "cfp_frontal_01_02.txt"
    listing.write_text("\n".join(sorted(str(p) for p in Path(root).glob("cfp/*/frontal/0[12].jpg")))
                       + "\n")
    profile = load_profile(str(profile_path))
    out = Path(cache) / f"gate_cfp_{Path(profile_path).stem}.csv"
    out.unlink(missing_ok=True)
    table = gate_to_file([str(listing)], out, profile=profile,
                         options=EngineOptions(progress=False))
    return float((table["decision"] == "accept").mean())


def main(argv=None) -> int:
    from fiqa.recognition import create_embedder

    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--cache-dir", default="/tmp/utility")
    parser.add_argument("--write", action="store_true", help="replace fiqa/profiles/*.toml")
    args = parser.parse_args(argv)
    root = args.data_dir or data_dir()
    options, images, data = utility_eval.eval_arrays(root, args.cache_dir)
    quality = utility_eval.quality_table(images, data, args.cache_dir, {})
    quality_path = Path(args.cache_dir) / "eval_quality_joined.csv"
    quality.drop(columns=["EmbeddingNorm.scalar"]).to_csv(quality_path, index=False)
    pairs = utility_eval.evaluation_pairs(root, options)
    sface = utility_eval.vectors(data, ("sface",))["sface"]
    comparisons = comparisons_file(args.cache_dir, pairs, sface,
                                   metadata=create_embedder("sface").metadata())
    lfw = sorted(set(pairs.loc[pairs["protocol"] == "LFW", "image_a"])
                 | set(pairs.loc[pairs["protocol"] == "LFW", "image_b"]))
    lfw = [p for p in lfw if p in sface]
    threshold = utility_eval.fmr_threshold_all(lfw, lfw, sface, fmr=1e-3)
    print(f"SFace threshold (FMR 1e-3 over LFW cross-identity comparisons): {threshold:.4f}")
    folder = Path("fiqa/profiles") if args.write else Path(args.cache_dir)
    for name, (budget, description) in PROFILES.items():
        out = folder / f"{name}.toml"
        result = calibrate_to_file(out, comparisons=comparisons, quality=quality_path,
                                   measures=list_measures(), max_reject=budget,
                                   threshold=threshold, name=name, description=description,
                                   notes=(NOTE, (f"SFace threshold {threshold:.4f}: FMR 1e-3 "
                                          "over every cross-identity comparison of the LFW "
                                          "images")))
        if name in POLICY:
            add_policy(out, POLICY[name])
        gated = gate_table(quality, load_profile(str(out)))
        clean = gated["path"].isin(lfw) | gated["path"].str.contains("/frontal/")
        after = result.after
        print(f"\n{name}: {', '.join(f'{m} >= {b:g}' for m, b in result.bounds.items())}")
        print(f"  rejects {after.reject_rate:.1%} of the evaluation images; FNMR "
              f"{result.before.fnmr:.4f} -> {after.fnmr:.4f}; images in a failed comparison: "
              f"{after.failure_rate_rejected:.1%} of rejected vs "
              f"{after.failure_rate_accepted:.1%} of accepted")
        if name in POLICY:
            print(f"  with its policy rules ({', '.join(POLICY[name])}): rejects "
                  f"{np.mean(gated['decision'] == 'reject'):.1%} of the evaluation images")
        print(f"  accepts {np.mean(gated.loc[clean, 'decision'] == 'accept'):.1%} of clean "
              f"evaluation photos (LFW fold 10, CFP frontal); `fiqa gate` on CFP frontal "
              f"01-02 of all 100 people: {cfp_frontal_acceptance(root, args.cache_dir, out):.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
