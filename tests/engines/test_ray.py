"""The Ray engine gives the local engine's table, row for row (local Ray, 2 CPUs)."""

import pandas as pd
import pytest

from fiqa.engines import EngineOptions
from fiqa.runner import score_to_file

pytest.importorskip("ray", reason="Ray is optional: pip install -e '.[ray]'")

MEASURES = ["InterEyeDistance", "HeadPoseYaw", "LuminanceMean", "Sharpness"]


@pytest.mark.slow
def test_ray_and_local_engines_write_identical_tables(lfw_image_paths, tmp_path):
    inputs = [str(p) for p in lfw_image_paths[:16]] + [str(tmp_path / "missing.jpg")]
    listing = tmp_path / "inputs.txt"
    listing.write_text("\n".join(inputs) + "\n")
    local = score_to_file([listing], tmp_path / "local.csv", measures=MEASURES,
                          options=EngineOptions(batch_size=4, progress=False))
    on_ray = score_to_file([listing], tmp_path / "ray.csv", measures=MEASURES,
                           options=EngineOptions(batch_size=4, engine="ray", workers=2,
                                                 progress=False))
    assert len(local) == 17 and local["status"].tolist().count("error") == 1
    pd.testing.assert_frame_equal(local, on_ray)


@pytest.mark.slow
def test_verify_and_stress_on_ray_match_local(shared_data):
    from attacks.stress import select_pairs, stress_test
    from fiqa.evaluation.pairs import read_pairs
    from fiqa.evaluation.verify import compare_pairs

    pairs = select_pairs(read_pairs(shared_data / "lfw_pairs.txt"), limit=4, seed=3)
    root = shared_data / "lfw"
    ray = EngineOptions(engine="ray", workers=2, batch_size=3, progress=False)
    pd.testing.assert_frame_equal(compare_pairs(pairs, root=root),
                                  compare_pairs(pairs, root=root, options=ray))

    def sweep(options):
        return stress_test(pairs, root=root, perturbations=["jpeg"], severities=[5],
                           measures=["Sharpness"], options=options)

    local, on_ray = sweep(EngineOptions(progress=False)), sweep(ray)
    pd.testing.assert_frame_equal(local.results, on_ray.results)
    pd.testing.assert_frame_equal(local.comparisons, on_ray.comparisons)
