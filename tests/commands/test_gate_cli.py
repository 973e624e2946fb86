import pandas as pd
from PIL import Image

from fiqa.cli import main


def test_gate_adds_decisions_and_reasons(tmp_path, sample_face, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(sample_face).save(folder / "face.png")
    small = Image.fromarray(sample_face).resize((96, 96))
    small.save(folder / "tiny.png")
    (folder / "readme.md").write_text("captures of the day")
    profile = tmp_path / "office.toml"
    profile.write_text('name = "office"\n[rules.InterEyeDistance]\nraw_min = 30\n')
    assert main(["gate", str(folder), "--profile", str(profile), "-o", str(tmp_path / "g.csv"),
                 "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "1 of 2 accepted by profile 'office'" in out
    assert "not scored: 1 other entry in the folders" in out and "readme.md" in out
    table = pd.read_csv(tmp_path / "g.csv", dtype={"reasons": str}).fillna({"reasons": ""})
    assert table["decision"].tolist() == ["accept", "reject"]
    assert table["reasons"].iloc[1].startswith("InterEyeDistance=")
    assert "Sharpness" not in table.columns  # only the profile's measures are computed


def test_gate_unknown_profile(tmp_path, capsys):
    assert main(["gate", str(tmp_path), "--profile", "strictest", "-o", str(tmp_path / "g.csv")]) == 2
    assert "unknown profile 'strictest'" in capsys.readouterr().err


def _people(tmp_path, sample_face):
    """Two people with two images each (one too small for the profile)."""
    folder = tmp_path / "in"
    for person in ("ann", "bob"):
        (folder / person).mkdir(parents=True)
        Image.fromarray(sample_face).save(folder / person / "1.png")
        Image.fromarray(sample_face).resize((96, 96)).save(folder / person / "2.png")
    profile = tmp_path / "office.toml"
    profile.write_text('name = "office"\n[rules.InterEyeDistance]\nraw_min = 30\n')
    return folder, profile


def test_gate_with_a_groups_file_writes_per_group_outcomes(tmp_path, sample_face, capsys):
    folder, profile = _people(tmp_path, sample_face)
    groups = tmp_path / "groups.csv"
    groups.write_text("path,site\nin/ann/1.png,north\nin/ann/2.png,north\nin/bob/1.png,south\n"
                      "in/bob/2.png,south\nin/zed/1.png,east\n")
    out = tmp_path / "g.csv"
    assert main(["gate", str(folder), "--profile", str(profile), "-o", str(out), "--no-progress",
                 "--groups", str(groups), "--bootstrap", "50"]) == 0
    printed = capsys.readouterr().out
    assert "1 paths in the groups file match no scored image (e.g. in/zed/1.png)" in printed
    assert "reject_rate" in printed and "2 of 4 accepted" in printed
    rows = pd.read_csv(tmp_path / "g_fairness.csv")
    overall = rows[(rows["metric"] == "reject_rate") & rows["detail"].isna()]
    assert overall.set_index("group")["value"].to_dict() == {"north": 0.5, "south": 0.5}
    assert (tmp_path / "g_fairness_ratios.csv").is_file()


def test_gate_with_the_ita_proxy_scores_it(tmp_path, sample_face, capsys):
    folder, profile = _people(tmp_path, sample_face)
    out = tmp_path / "g.csv"
    assert main(["gate", str(folder), "--profile", str(profile), "-o", str(out), "--no-progress",
                 "--groups", "ita", "--bootstrap", "50"]) == 0
    assert "not a person's attribute" in capsys.readouterr().out
    table = pd.read_csv(out)
    assert table["IndividualTypologyAngle"].notna().all()
    rows = pd.read_csv(tmp_path / "g_fairness.csv")
    assert set(rows["attribute"]) == {"skin_tone_ita"}


def test_gate_groups_file_that_matches_nothing(tmp_path, sample_face, capsys):
    folder, profile = _people(tmp_path, sample_face)
    groups = tmp_path / "groups.csv"
    groups.write_text("path,site\nelsewhere/1.png,north\n")
    assert main(["gate", str(folder), "--profile", str(profile), "-o", str(tmp_path / "g.csv"),
                 "--no-progress", "--groups", str(groups)]) == 2
    assert "none of the 1 paths in" in capsys.readouterr().err
