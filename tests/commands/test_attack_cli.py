import argparse

import pytest

from fiqa.commands import attack


def _parse(argv):
    parser = argparse.ArgumentParser()
    attack.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_patch_arguments_and_defaults():
    args = _parse(["attack", "patch", "--pairs", "p.txt", "--root", "lfw", "-o", "run",
                   "--universal", "--seed", "3"])
    assert (args.mode, args.region, args.area, args.steps) == ("dodging", "eyeglasses", "0.08", 200)
    assert args.universal and args.seed == 3 and args.run is attack.run
    assert (args.model, args.judge) == ("sface", "")
    args = _parse(["attack", "patch", "--images", "a.jpg", "-o", "run", "--judge", "dlib"])
    assert args.judge == "dlib"


def test_dlib_cannot_be_attacked_white_box(tmp_path, capsys):
    pytest.importorskip("dlib", reason="the dlib recognizer needs the extra fiqa[dlib]")
    from fiqa.cli import main

    image = tmp_path / "a.png"
    image.write_bytes(b"")
    code = main(["attack", "patch", "--images", str(image), "--model", "dlib", "--threshold",
                 "0.5", "-o", str(tmp_path / "run")])
    assert code == 2
    assert "'dlib' cannot be attacked white-box: it has no gradients in Python" in \
        capsys.readouterr().err


def test_pairs_and_images_are_exclusive():
    with pytest.raises(SystemExit):
        _parse(["attack", "patch", "--pairs", "p.txt", "--images", "a.jpg", "-o", "run"])
