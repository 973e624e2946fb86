import inspect

import numpy as np
import pytest

from attacks import apply_perturbation, list_perturbations, severities
from attacks.severities import N_SEVERITIES, TABLES, table_rows

# Fixed-size targets that the astronaut crop cannot reach as a JPEG (q1 is larger): checked in
# test_compression instead.
_ABSOLUTE_SIZE = {"jpeg_size"}


def test_docstring_table_matches_tables():
    doc = " ".join(inspect.getdoc(severities).split())
    for row in table_rows():
        assert " ".join(" ".join(row).split()) in doc, row


def test_every_table_has_five_levels():
    assert N_SEVERITIES == 5
    for table in TABLES.values():
        assert len(table.values) == N_SEVERITIES, table.name


@pytest.mark.parametrize("severity", [0, 6, 2.0])
def test_bad_severity_is_refused(severity):
    with pytest.raises(ValueError, match=r"severity must be an integer in 1\.\.5"):
        TABLES["jpeg"].parameters(severity)


def _ssim_by_severity(image, name, ssim):
    return [ssim(image, apply_perturbation(image, name, severity=s, rng=3).image)
            for s in range(1, N_SEVERITIES + 1)]


def _check_ssim_falls(name, images, ssim):
    for image in images:
        values = _ssim_by_severity(image, name, ssim)
        assert np.all(np.diff(values) < 0), (name, values)
        assert values[0] < 0.999, (name, values)  # severity 1 already changes the image


@pytest.mark.parametrize("name", list_perturbations())
def test_ssim_falls_as_severity_rises(name, astronaut_face, lfw_faces, ssim):
    images = [lfw_faces[0]] if name in _ABSOLUTE_SIZE else [astronaut_face, lfw_faces[0]]
    _check_ssim_falls(name, images, ssim)


@pytest.mark.slow
@pytest.mark.parametrize("name", list_perturbations())
def test_ssim_falls_as_severity_rises_on_another_lfw_face(name, lfw_faces, ssim):
    _check_ssim_falls(name, [lfw_faces[1]], ssim)
