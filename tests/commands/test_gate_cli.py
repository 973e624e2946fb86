import pandas as pd
from PIL import Image

from fiqa.cli import main


def test_gate_adds_decisions_and_reasons(tmp_path, sample_face, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(sample_face).save(folder / "face.png")
    small = Image.fromarray(sample_face).resize((96, 96))
    small.save(folder / "tiny.png")
    profile = tmp_path / "office.toml"
    profile.write_text('name = "office"\n[rules.InterEyeDistance]\nraw_min = 30\n')
    assert main(["gate", str(folder), "--profile", str(profile), "-o", str(tmp_path / "g.csv"),
                 "--no-progress"]) == 0
    assert "1 of 2 accepted by profile 'office'" in capsys.readouterr().out
    table = pd.read_csv(tmp_path / "g.csv", dtype={"reasons": str}).fillna({"reasons": ""})
    assert table["decision"].tolist() == ["accept", "reject"]
    assert table["reasons"].iloc[1].startswith("InterEyeDistance=")
    assert "Sharpness" not in table.columns  # only the profile's measures are computed


def test_gate_unknown_profile(tmp_path, capsys):
    assert main(["gate", str(tmp_path), "--profile", "strictest", "-o", str(tmp_path / "g.csv")]) == 2
    assert "unknown profile 'strictest'" in capsys.readouterr().err
