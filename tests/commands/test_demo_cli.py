from fiqa.cli import main


def test_demo_scores_and_gates_the_bundled_face(tmp_path, capsys):
    assert main(["demo", "-o", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    lines = {line.split()[0]: line for line in printed.splitlines()[1:]}
    assert " accept" in lines["original.png"]
    assert " reject" in lines["gaussian_blur_severity4.png"]
    assert " reject" in lines["dark_severity4.png"]
    assert "error" in lines["truncated.jpg"]
    assert (tmp_path / "gate.csv").is_file() and (tmp_path / "gate.csv.run.json").is_file()
