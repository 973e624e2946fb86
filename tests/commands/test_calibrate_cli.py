"""``fiqa calibrate`` end to end: score, calibrate a profile, gate with it."""

from __future__ import annotations

import pandas as pd
from PIL import Image

from fiqa.cli import main


def test_calibrated_profile_drives_the_gate(tmp_path, sample_face, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    for name, size in (("a", 512), ("b", 480), ("c", 96), ("d", 90)):
        Image.fromarray(sample_face).resize((size, size)).save(folder / f"{name}.png")
    quality = tmp_path / "q.csv"
    assert main(["score", str(folder), "-o", str(quality), "--measures", "geometric",
                 "--no-progress"]) == 0
    # the two small faces are in the failing mated comparisons
    comparisons = tmp_path / "c.csv"
    pd.DataFrame({"image_a": ["a.png", "c.png", "d.png", "a.png"],
                  "image_b": ["b.png", "a.png", "b.png", "c.png"],
                  "score": [0.9, 0.1, 0.15, 0.3], "same": [1, 1, 1, 0],
                  "status": "ok"}).to_csv(comparisons, index=False)
    profile = tmp_path / "cal.toml"
    assert main(["calibrate", "--comparisons", str(comparisons), "--quality", str(quality),
                 "--max-reject", "0.5", "--starting-error", "0.5", "--root", str(folder),
                 "--measures", "InterEyeDistance", "--min-removed", "1", "-o", str(profile)]) == 0
    out = capsys.readouterr().out
    assert "InterEyeDistance.scalar >=" in out and "FNMR 0.3333 -> 0.0000" in out
    text = profile.read_text()
    assert "# comparisons:" in text and "# with these bounds: rejects 50.00% of images" in text
    assert main(["gate", str(folder), "--profile", str(profile), "-o", str(tmp_path / "g.csv"),
                 "--no-progress"]) == 0
    gated = pd.read_csv(tmp_path / "g.csv")
    decisions = dict(zip(gated["path"].map(lambda p: p.rsplit("/", 1)[-1]), gated["decision"]))
    assert decisions == {"a.png": "accept", "b.png": "accept", "c.png": "reject",
                         "d.png": "reject"}
    assert main(["calibrate", "--comparisons", str(comparisons), "--quality", str(quality),
                 "--max-reject", "0.5", "--root", str(folder), "--max-reject-ratio", "1.5",
                 "-o", str(profile)]) == 2
    assert "--max-reject-ratio needs --groups" in capsys.readouterr().err


def test_calibrate_needs_a_budget(tmp_path, capsys):
    try:
        main(["calibrate", "--comparisons", "c.csv", "--quality", "q.csv", "-o", "p.toml"])
    except SystemExit as exc:
        assert exc.code == 2
    assert "one of the arguments --max-reject --target-fnmr is required" in capsys.readouterr().err


def test_calibrate_rejects_a_budget_outside_0_1(tmp_path, capsys):
    assert main(["calibrate", "--comparisons", "c.csv", "--quality", "q.csv", "--max-reject",
                 "5", "-o", str(tmp_path / "p.toml")]) == 2
    assert "--max-reject must be between 0 and 1" in capsys.readouterr().err
