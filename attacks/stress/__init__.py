"""Robustness sweeps: how verification and quality respond as captures degrade.

A sweep takes a verification protocol (pairs of images, mated or not) and a list of
perturbations from :mod:`attacks` at chosen severities. It

1. embeds (with every recognizer of ``models``) and quality-scores every clean image once
   and fixes each recognizer's decision threshold on its clean non-mated comparisons (FMR
   ``target_fmr``, 1e-3 by default, :func:`fiqa.evaluation.metrics.calibrate_threshold`);
2. for each perturbation x severity, perturbs the probe images (``apply="probe"``: the
   second image of each pair) or both images (``apply="both"``), each image once, then
   detects, embeds and quality-scores each perturbed image once;
3. reports, at the fixed threshold: FNMR, FMR, the detection-failure rate, the mean drop
   of mated similarity, each quality measure's mean and median, the EDC pAUC of each
   measure on the perturbed comparisons, and what a quality gate profile would have
   rejected (how many recognition failures it catches beforehand).

The non-mated pairs are, by default, built from the mated pairs' own images
(:func:`~attacks.stress.protocol.sweep_pairs`, ``impostors="probes"``): each mated pair's
first image against another person's probe, so every perturbed probe serves one mated and
one non-mated comparison and each condition perturbs one image per mated pair;
``impostors="pairs"`` takes the pairs file's own non-mated pairs instead.

Definitions (all rates over the pairs whose clean comparison succeeded, so a pair that
fails without any perturbation never counts against one):

* ``fnmr``: mated pairs not matched at the threshold; a perturbed image in which no face
  is found counts as a non-match, as it would in a deployed system;
* ``fnmr_detected``: the same over mated pairs whose faces were all found;
* ``fmr``: non-mated pairs accepted at the threshold (a detection failure is a rejection);
* ``detection_failure_rate``: perturbed images in which no face was found;
* ``similarity_drop``: mean of clean minus perturbed similarity over mated pairs that
  were compared both ways;
* ``gate_catch_rate``: of the mated pairs that fail (as in ``fnmr``), the share in which
  the gate profile rejects a perturbed image; ``gate_reject_rate``: perturbed images it
  rejects; ``gate_reject_rate_matched``: mated pairs that still match but that the gate
  would have rejected (its cost);
* ``edc_pauc`` / ``edc_pauc_relative``: :func:`fiqa.evaluation.edc.summarise_curve` of the
  EDC at the clean threshold, pair quality = the lower of the two images' scalar
  qualities (a missing quality counts as the lowest), over compared pairs only.

Every image goes through :mod:`fiqa.pipeline` (perturbed there by a picklable
:class:`~attacks.stress.perturb.PerturbStep`), so a sweep runs on any engine
(``options``: local worker processes or Ray) with the same numbers. Results are per
recognizer (the ``model`` column of the results table).

Perturbations apply to the whole image before face detection (``target="image"``, the
realistic case) or to the aligned face canvas of the clean detection (``target="crop"``,
``QUALITY_SIZE`` px with ``QUALITY_MARGIN``; the face is not searched again). Random
perturbations draw from a generator seeded by (seed, perturbation, severity, image path),
so a sweep is reproducible and an image gets the same draw whatever else is in the sweep.
"""

from attacks.stress.protocol import (
    IMPOSTOR_SOURCES,
    other_non_mated,
    parse_perturbations,
    parse_severities,
    select_pairs,
    sweep_pairs,
)
from attacks.stress.result import RESULT_COLUMNS, RUN_FILES, StressResult, write_tables
from attacks.stress.sweep import stress_test, stress_to_folder

__all__ = ["IMPOSTOR_SOURCES", "RESULT_COLUMNS", "RUN_FILES", "StressResult", "other_non_mated",
           "parse_perturbations", "parse_severities", "select_pairs", "stress_test",
           "stress_to_folder", "sweep_pairs", "write_tables"]
