import pandas as pd
import pytest

pytest.importorskip("torch", reason="the torch extra is not installed")

from attacks.patch.evaluate import save_png
from attacks.patch.run import jobs_from_images, jobs_from_pairs, run_patch_attack
from reports.attack_section import write_attack_report


def test_jobs_pair_probes_with_templates():
    pairs = pd.DataFrame({"image_a": ["a/1.jpg", "a/1.jpg", "c/1.jpg"],
                          "image_b": ["a/2.jpg", "b/1.jpg", "c/2.jpg"],
                          "same": [True, False, True]})
    assert len(jobs_from_pairs(pairs, root="r", mode="dodging")) == 2
    assert len(jobs_from_pairs(pairs, root="r", mode="dodging", limit=1)) == 1
    assert jobs_from_pairs(pairs, root="r", mode="impersonation")[0].template_image == "r/b/1.jpg"
    with pytest.raises(ValueError, match="at least two images"):
        jobs_from_images(["a.jpg"], mode="impersonation")


def test_run_writes_patched_pngs_results_history_and_report(recognizer, detector,
                                                            astronaut_face, tmp_path):
    image, _ = astronaut_face
    probe = save_png(image, tmp_path / "astronaut.png")
    results = run_patch_attack(jobs_from_images([probe], mode="dodging"), tmp_path / "run",
                               recognizer=recognizer, detector=detector,
                               threshold=0.3, areas=(0.04, 0.08), steps=2)
    assert list(results["area"]) == [0.04, 0.08]
    assert results["score_before"].iloc[0] == pytest.approx(1.0, abs=1e-5)
    for column in ("image", "target", "score_before", "score_after", "success"):
        assert column in results
    assert len(list((tmp_path / "run" / "patched").glob("*.png"))) == 2
    history = pd.read_csv(tmp_path / "run" / "history.csv")
    assert len(history) == 4 and set(history["area"]) == {0.04, 0.08}
    page = write_attack_report(tmp_path / "run").read_text()
    assert "Success against patch area" in page and "data:image/png;base64" in page
