"""The Ray engine gives the local engine's table, row for row (local Ray, 2 CPUs)."""

import pandas as pd
import pytest

from fiqa.runner import score_to_file

pytest.importorskip("ray", reason="Ray is optional: pip install -e '.[ray]'")

MEASURES = ["InterEyeDistance", "HeadPoseYaw", "LuminanceMean", "Sharpness"]


@pytest.mark.slow
def test_ray_and_local_engines_write_identical_tables(lfw_image_paths, tmp_path):
    inputs = [str(p) for p in lfw_image_paths[:16]] + [str(tmp_path / "missing.jpg")]
    listing = tmp_path / "inputs.txt"
    listing.write_text("\n".join(inputs) + "\n")
    local = score_to_file([listing], tmp_path / "local.csv", measures=MEASURES, progress=False,
                          batch_size=4)
    on_ray = score_to_file([listing], tmp_path / "ray.csv", measures=MEASURES, progress=False,
                           batch_size=4, engine="ray", workers=2)
    assert len(local) == 17 and local["status"].tolist().count("error") == 1
    pd.testing.assert_frame_equal(local, on_ray)
